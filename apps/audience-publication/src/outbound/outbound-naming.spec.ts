import { dataFileNames, infoFileName, nextStamp, rootName } from './outbound-naming';

const INBOUND = /^ftp_dpm_([0-9]+)_([0-9]{10})\.(sync|overwrite)(?:\.[0-9]{1,6})?(\.gz)?$/;

describe('outbound naming', () => {
  it('names the root after the DPID and 10-digit unix seconds', () => {
    expect(rootName(12345, 1764489600)).toBe('ftp_dpm_12345_1764489600');
    expect(rootName(7, 42)).toBe('ftp_dpm_7_0000000042');
    expect(() => rootName(0, 1764489600)).toThrow(/DPID/);
    expect(() => rootName(1, 17644896000)).toThrow(/stamp/);
  });

  it('gives one unsplit file when the lines fit', () => {
    const sut = dataFileNames({ dpid: 21, stamp: 1764489600, kind: 'sync', gzip: false }, 10, 10);
    expect(sut).toEqual(['ftp_dpm_21_1764489600.sync']);
  });

  it('splits with .1 .. .n before .gz when the lines exceed the maximum', () => {
    const sut = dataFileNames({ dpid: 21, stamp: 1764489600, kind: 'overwrite', gzip: true }, 25, 10);
    expect(sut).toEqual(['ftp_dpm_21_1764489600.overwrite.1.gz', 'ftp_dpm_21_1764489600.overwrite.2.gz', 'ftp_dpm_21_1764489600.overwrite.3.gz']);
  });

  it('writes no data file for an empty publication (empty files are invalid intake)', () => {
    expect(dataFileNames({ dpid: 21, stamp: 1764489600, kind: 'sync', gzip: false }, 0, 10)).toEqual([]);
  });

  it('produces names the intake format (and our own ingestion) accepts', () => {
    for (const gzip of [false, true]) {
      for (const lines of [1, 11, 1000]) {
        for (const name of dataFileNames({ dpid: 99, stamp: 1764489600, kind: 'sync', gzip }, lines, 10)) expect(name).toMatch(INBOUND);
      }
    }
    expect(infoFileName(99, 1764489600)).toBe('ftp_dpm_99_1764489600.info');
  });

  it('keeps stamps of one DPID strictly increasing, even within one second', () => {
    expect(nextStamp(null, 1764489600_500)).toBe(1764489600);
    expect(nextStamp(1764489600, 1764489600_900)).toBe(1764489601);
    expect(nextStamp(1764489500, 1764489600_000)).toBe(1764489600);
  });
});
