import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InfoDocument, OutboundFileWriter, OutboundSpec } from './outbound-file-writer';
import { intakeLine } from './outbound-plan';

const ORG = '1FD6776A524453CC0A490D44@AdobeOrg';

function ids(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i).padStart(38, '0'));
}

async function* batches(lines: string[], size = 7): AsyncGenerator<string[]> {
  for (let i = 0; i < lines.length; i += size) yield lines.slice(i, i + size);
}

function spec(lines: string[], over: Partial<OutboundSpec> = {}): OutboundSpec {
  return { orgId: ORG, dpid: 21, stamp: 1764489600, kind: 'sync', gzip: false, maxLines: 10, totalLines: lines.length, lines: batches(lines), ...over };
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe(OutboundFileWriter.name, () => {
  let dir: string;
  let sut: OutboundFileWriter;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'audx-outbound-'));
    sut = new OutboundFileWriter(dir);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one file with every line and an .info that describes it', async () => {
    const lines = ids(3).map((id) => intakeLine(id, '24', 'added'));
    const batch = await sut.write(spec(lines));
    const file = path.join(sut.orgDir(ORG), 'ftp_dpm_21_1764489600.sync');
    const body = readFileSync(file);
    expect(body.toString()).toBe(lines.join(''));
    expect(batch.files).toEqual([{ fileName: 'ftp_dpm_21_1764489600.sync', bytes: body.length, lines: 3, md5: md5(body) }]);
    const info = JSON.parse(readFileSync(path.join(sut.orgDir(ORG), 'ftp_dpm_21_1764489600.info'), 'utf8')) as InfoDocument;
    expect(info).toEqual({
      Files: [{ FileName: 'ftp_dpm_21_1764489600.sync', FileByteSize: body.length, FileLineCount: 3, FileSequenceNumber: 1, md5: md5(body) }],
      Totals: { FileName: 'ftp_dpm_21_1764489600.sync', TotalByteSize: body.length, TotalFileCount: 1, TotalLineCount: 3 },
    });
    expect(batch.info?.fileName).toBe('ftp_dpm_21_1764489600.info');
  });

  it('splits at maxLines, gzips, and records the bytes and md5 of what is on disk', async () => {
    const lines = ids(25).map((id) => intakeLine(id, '24', 'current'));
    const batch = await sut.write(spec(lines, { kind: 'overwrite', gzip: true }));
    expect(batch.files.map((f) => [f.fileName, f.lines])).toEqual([
      ['ftp_dpm_21_1764489600.overwrite.1.gz', 10],
      ['ftp_dpm_21_1764489600.overwrite.2.gz', 10],
      ['ftp_dpm_21_1764489600.overwrite.3.gz', 5],
    ]);
    const text = batch.files
      .map((f) => {
        const raw = readFileSync(path.join(sut.orgDir(ORG), f.fileName));
        expect(raw.length).toBe(f.bytes);
        expect(md5(raw)).toBe(f.md5);
        return gunzipSync(raw).toString();
      })
      .join('');
    expect(text).toBe(lines.join(''));
  });

  it('leaves only finished files behind: no temporary file in the org folder or the temp folder', async () => {
    await sut.write(spec(ids(12).map((id) => intakeLine(id, '1', 'added'))));
    expect(readdirSync(sut.orgDir(ORG)).sort()).toEqual(['ftp_dpm_21_1764489600.info', 'ftp_dpm_21_1764489600.sync.1', 'ftp_dpm_21_1764489600.sync.2']);
    expect(readdirSync(path.join(dir, '.tmp', ORG))).toEqual([]);
  });

  it('rewrites the same names with the same bytes when a publication is written again (crash retry)', async () => {
    const lines = ids(15).map((id) => intakeLine(id, '7', 'removed'));
    const first = await sut.write(spec(lines, { gzip: true }));
    const before = readdirSync(sut.orgDir(ORG)).map((n) => [n, md5(readFileSync(path.join(sut.orgDir(ORG), n)))]);
    const second = await sut.write(spec(lines, { gzip: true }));
    expect(second).toEqual(first);
    expect(readdirSync(sut.orgDir(ORG)).map((n) => [n, md5(readFileSync(path.join(sut.orgDir(ORG), n)))])).toEqual(before);
  });

  it('writes nothing for an empty publication', async () => {
    expect(await sut.write(spec([]))).toEqual({ files: [], info: null });
  });

  it('fails when the lines do not match the announced count', async () => {
    const lines = ids(5).map((id) => intakeLine(id, '1', 'added'));
    await expect(sut.write(spec(lines, { totalLines: 6 }))).rejects.toThrow(/expected 6 lines, got 5/);
    await expect(sut.write(spec(lines, { totalLines: 4 }))).rejects.toThrow(/more lines than the 4 announced/);
  });

  it('streams with backpressure: it never pulls lines far ahead of what is on disk (flat memory)', async () => {
    const batchLines = 10_000;
    const batchCount = 30;
    const line = (i: number) => intakeLine(String(i).padStart(38, '0'), '24', 'added');
    const batchBytes = batchLines * line(0).length;
    const part = path.join(dir, '.tmp', ORG, 'ftp_dpm_21_1764489600.sync.part');
    let maxLag = 0;
    async function* many(): AsyncGenerator<string[]> {
      for (let b = 0; b < batchCount; b++) {
        const onDisk = b === 0 ? 0 : statSync(part).size;
        maxLag = Math.max(maxLag, b * batchBytes - onDisk);
        yield Array.from({ length: batchLines }, (_, j) => line(b * batchLines + j));
      }
    }
    const batch = await sut.write({ ...spec([]), totalLines: batchLines * batchCount, maxLines: 1_000_000, lines: many() });
    expect(batch.files[0].lines).toBe(batchLines * batchCount);
    expect(statSync(path.join(sut.orgDir(ORG), batch.files[0].fileName)).size).toBe(batchBytes * batchCount);
    // a 15 MB file; a writer that buffered it would let the source run ahead by nearly all of it
    expect(maxLag).toBeLessThanOrEqual(3 * batchBytes);
  });

  it("never writes through a link: an org folder that is a link fails the write, and a planted file link is replaced, its target untouched", async () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'audx-elsewhere-'));
    try {
      symlinkSync(elsewhere, sut.orgDir(ORG));
      await expect(sut.write(spec(ids(2).map((id) => intakeLine(id, '24', 'added'))))).rejects.toThrow(/not a real folder/);
      expect(readdirSync(elsewhere)).toEqual([]);
      rmSync(sut.orgDir(ORG));
      mkdirSync(sut.orgDir(ORG));
      const secret = path.join(elsewhere, 'secret');
      writeFileSync(secret, 'keep me');
      symlinkSync(secret, path.join(sut.orgDir(ORG), 'ftp_dpm_21_1764489600.sync'));
      await sut.write(spec(ids(2).map((id) => intakeLine(id, '24', 'added'))));
      expect(readFileSync(secret, 'utf8')).toBe('keep me');
      expect(lstatSync(path.join(sut.orgDir(ORG), 'ftp_dpm_21_1764489600.sync')).isFile()).toBe(true);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('refuses an org id that is not an IMS org id (it becomes a folder name)', async () => {
    await expect(sut.write(spec(['x\td_sid=1\n'], { orgId: '../../etc' }))).rejects.toThrow(/invalid org id/);
    expect(() => sut.pathOf(ORG, '../secret')).toThrow(/not an outbound file name/);
  });
});
