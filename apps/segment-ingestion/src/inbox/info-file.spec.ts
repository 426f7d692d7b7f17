import { parseInfo } from './info-file';

const md5a = '983a634be2ad5263c6a6c4958bf61d9f';
const md5b = '6ab9907c8e78cfd78409622e7b55a984';

describe('parseInfo', () => {
  it("reads AAM's transfer-control file as the marketing cloud writes it", () => {
    const info = {
      Files: [
        { FileByteSize: 2930, FileLineCount: 36, FileName: 'ftp_12345_67890_full_1500727351632-1.sync.gz', FileSequenceNumber: 1, md5: md5a.toUpperCase() },
        { FileByteSize: 2184, FileLineCount: 27, FileName: 'ftp_12345_67890_full_1500727351632-2.sync.gz', FileSequenceNumber: 2, md5: md5b },
      ],
      Totals: { FileName: 'ftp_12345_67890_full_1500727351632.sync', TotalByteSize: 5114, TotalFileCount: 2, TotalLineCount: 63 },
    };
    expect(parseInfo(JSON.stringify(info))).toEqual({
      entries: [
        { name: 'ftp_12345_67890_full_1500727351632-1.sync.gz', size: 2930, md5: md5a },
        { name: 'ftp_12345_67890_full_1500727351632-2.sync.gz', size: 2184, md5: md5b },
      ],
    });
  });

  it('accepts the older FileSize / MD5Checksum keys and lowercase files[]', () => {
    expect(parseInfo(JSON.stringify({ Files: [{ FileName: 'a.sync', FileSize: '10', MD5Checksum: md5a }] }))).toEqual({ entries: [{ name: 'a.sync', size: 10, md5: md5a }] });
    expect(parseInfo(JSON.stringify({ files: [{ name: 'a.sync', size: 10, md5: md5a }] }))).toEqual({ entries: [{ name: 'a.sync', size: 10, md5: md5a }] });
  });

  it('refuses what cannot be checked, with the reason', () => {
    expect(parseInfo('{')).toEqual({ error: 'the .info file is not valid JSON' });
    expect(parseInfo(JSON.stringify({ Files: [{ FileName: 'a.sync', FileByteSize: 10 }] }))).toEqual({ error: expect.stringContaining('md5') });
    expect(parseInfo(JSON.stringify({ Files: [{ FileName: 'a.sync', md5: md5a }] }))).toEqual({ error: expect.stringContaining('FileByteSize') });
    expect(parseInfo(JSON.stringify({ Files: [{ FileName: '../../etc/passwd', FileByteSize: 1, md5: md5a }] }))).toEqual({ error: expect.stringContaining('refused file name') });
    expect(parseInfo(JSON.stringify({ Files: [{ FileName: 'a.sync', FileByteSize: 1, md5: 'xyz' }] }))).toEqual({ error: expect.stringContaining('32 hex') });
    expect(parseInfo(JSON.stringify({ Files: [] }))).toEqual({ error: expect.stringContaining('does not list files') });
  });
});
