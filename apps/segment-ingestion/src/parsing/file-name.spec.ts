import { isSafeFileName, parseAamFileName } from './file-name';

describe('AAM file names', () => {
  it.each([
    ['S3_1234_567_iter_1764489600000.sync', { format: 'aam-outbound', mode: 'iter', dpid: 567, gzip: false, split: false }],
    ['S3_1234_567_AdobeCampaignID_full_1764489600000.sync.gz', { format: 'aam-outbound', mode: 'full', dpid: 567, gzip: true, split: false }],
    ['S3_1234_567_iter_1764489600000-2.sync', { format: 'aam-outbound', mode: 'iter', dpid: 567, gzip: false, split: true }],
    ['S3_1234_567_full_17644896000003.sync.gz', { format: 'aam-outbound', mode: 'full', dpid: 567, gzip: true, split: true }],
    ['ftp_dpm_21_1764489600.sync', { format: 'aam-inbound', mode: 'iter', dpid: 21, gzip: false, split: false }],
    ['ftp_dpm_21_1764489600.overwrite.3.gz', { format: 'aam-inbound', mode: 'full', dpid: 21, gzip: true, split: true }],
  ])('%s', (name, facts) => expect(parseAamFileName(name)).toEqual(facts));

  it.each(['members.csv', 'S3_1_2_weekly_1764489600000.sync', 'ftp_dpm_21_176448960.sync'])('%s is not an AAM name', (name) => {
    expect(parseAamFileName(name)).toBeNull();
  });

  it.each(['../etc/passwd', 'a/b.sync', '..', '.hidden', 'x\u0000y', 'a b.sync'])('refuses %j', (name) => expect(isSafeFileName(name)).toBe(false));
  it('accepts a plain name', () => expect(isSafeFileName('ftp_dpm_21_1764489600.sync')).toBe(true));
});
