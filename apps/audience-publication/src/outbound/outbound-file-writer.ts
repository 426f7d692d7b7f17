import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { OrgIdSchema } from '@audx/contracts';
import { ownedFolder } from '@audx/platform';
import { OutboundKind, dataFileNames, infoFileName, rootName } from './outbound-naming';

export interface WrittenFile {
  fileName: string;
  /** Bytes on disk (compressed when gzip). */
  bytes: number;
  /** Intake lines (uncompressed). */
  lines: number;
  /** md5 of the bytes on disk, lowercase hex. */
  md5: string;
}

export interface OutboundBatch {
  files: WrittenFile[];
  /** The `.info` control file, or null when the publication has no data file. */
  info: WrittenFile | null;
}

export interface OutboundSpec {
  orgId: string;
  dpid: number;
  stamp: number;
  kind: OutboundKind;
  gzip: boolean;
  maxLines: number;
  /** Exactly how many lines `lines` yields; a mismatch fails the write. */
  totalLines: number;
  /** Intake lines, each ending with `\n`, in batches. */
  lines: AsyncIterable<string[]>;
}

/** The control file, in the marketing cloud's own `.info` format. */
export interface InfoDocument {
  Files: { FileName: string; FileByteSize: number; FileLineCount: number; FileSequenceNumber: number; md5: string }[];
  Totals: { FileName: string; TotalByteSize: number; TotalFileCount: number; TotalLineCount: number };
}

const FLUSH_BYTES = 256 * 1024;

/**
 * Writes the outbound files of one publication under `<outboxDir>/<orgId>/`. Each file is
 * streamed (memory stays flat whatever the size) to `<outboxDir>/.tmp/<orgId>/<name>.part`,
 * fsynced and renamed into place, so a reader never sees half a file; the `.info` control file
 * comes last. Names and bytes depend only on the spec and the lines: writing the same
 * publication again (a retry after a crash) replaces the files with identical ones.
 */
export class OutboundFileWriter {
  constructor(readonly outboxDir: string) {}

  orgDir(orgId: string): string {
    return path.join(this.outboxDir, safeOrg(orgId));
  }

  private tmpDir(orgId: string): string {
    return path.join(this.outboxDir, '.tmp', safeOrg(orgId));
  }

  /**
   * The org's folder and its staging folder, as real folders: the org's folder is the org's to
   * write in, and a link planted in its place (or in the outbox root) would send its files to
   * another org's folder or anywhere else.
   */
  private async ownedFolders(orgId: string): Promise<void> {
    await mkdir(this.outboxDir, { recursive: true });
    const tmpRoot = await ownedFolder(this.outboxDir, '.tmp');
    const ok = (await ownedFolder(this.outboxDir, safeOrg(orgId))) !== null && tmpRoot !== null && (await ownedFolder(tmpRoot, safeOrg(orgId))) !== null;
    if (!ok) throw new Error('the outbound folder of the org is not a real folder (a link or a file sits in its place)');
  }

  /** Where a recorded file of an org lives; `fileName` must come from our own records. */
  pathOf(orgId: string, fileName: string): string {
    if (!/^ftp_dpm_[0-9]+_[0-9]{10}\.[a-z0-9.]+$/.test(fileName)) throw new Error(`not an outbound file name: ${fileName}`);
    return path.join(this.orgDir(orgId), fileName);
  }

  async write(spec: OutboundSpec): Promise<OutboundBatch> {
    const names = dataFileNames(spec, spec.totalLines, spec.maxLines);
    const source = new LineSource(spec.lines);
    if (names.length === 0) {
      if (await source.hasMore()) throw new Error('lines given for a publication announced empty');
      return { files: [], info: null };
    }
    await this.ownedFolders(spec.orgId);
    const files: WrittenFile[] = [];
    let remaining = spec.totalLines;
    for (const name of names) {
      const want = Math.min(spec.maxLines, remaining);
      const written = await this.writeFile(spec.orgId, name, spec.gzip, source.take(want));
      if (written.lines !== want) throw new Error(`${name}: expected ${want} lines, got ${written.lines}`);
      files.push(written);
      remaining -= want;
    }
    if (await source.hasMore()) throw new Error(`more lines than the ${spec.totalLines} announced`);
    const info = renderInfo(`${rootName(spec.dpid, spec.stamp)}.${spec.kind}${spec.gzip ? '.gz' : ''}`, files);
    const infoFile = await this.writeFile(spec.orgId, infoFileName(spec.dpid, spec.stamp), false, (async function* () {
      yield [info];
    })());
    await syncDir(this.orgDir(spec.orgId));
    return { files, info: infoFile };
  }

  /** Removes files of a pruned version; a file already gone is fine. */
  async remove(orgId: string, fileNames: string[]): Promise<void> {
    for (const name of fileNames) await rm(this.pathOf(orgId, name), { force: true });
  }

  private async writeFile(orgId: string, name: string, gzip: boolean, lines: AsyncIterable<string[]>): Promise<WrittenFile> {
    const tmp = path.join(this.tmpDir(orgId), `${name}.part`);
    // a part left by a crash goes first; then the part is created new (never an existing file or link)
    await rm(tmp, { force: true });
    const md5 = createHash('md5');
    let bytes = 0;
    let count = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        md5.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    async function* encoded(): AsyncGenerator<Buffer> {
      let pending: string[] = [];
      let size = 0;
      for await (const batch of lines) {
        for (const line of batch) {
          count += countNewlines(line);
          pending.push(line);
          size += line.length;
          if (size >= FLUSH_BYTES) {
            yield Buffer.from(pending.join(''), 'utf8');
            pending = [];
            size = 0;
          }
        }
      }
      if (pending.length > 0) yield Buffer.from(pending.join(''), 'utf8');
    }
    const source = Readable.from(encoded(), { objectMode: false });
    if (gzip) await pipeline(source, createGzip({ level: 6 }), tap, createWriteStream(tmp, { flags: 'wx' }));
    else await pipeline(source, tap, createWriteStream(tmp, { flags: 'wx' }));
    const handle = await open(tmp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path.join(this.orgDir(orgId), name));
    return { fileName: name, bytes, lines: count, md5: md5.digest('hex') };
  }
}

/** The `.info` JSON: each file's name, size, line count, sequence number and md5, then totals. */
export function renderInfo(totalName: string, files: WrittenFile[]): string {
  const doc: InfoDocument = {
    Files: files.map((f, i) => ({ FileName: f.fileName, FileByteSize: f.bytes, FileLineCount: f.lines, FileSequenceNumber: i + 1, md5: f.md5 })),
    Totals: {
      FileName: totalName,
      TotalByteSize: files.reduce((n, f) => n + f.bytes, 0),
      TotalFileCount: files.length,
      TotalLineCount: files.reduce((n, f) => n + f.lines, 0),
    },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function safeOrg(orgId: string): string {
  // the org id becomes a folder name: only the IMS org format, never a path
  if (!OrgIdSchema.safeParse(orgId).success) throw new Error('invalid org id for an outbound folder');
  return orgId;
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* not every file system syncs directories; the renames are atomic either way */
  }
}

/** Pulls lines from batches and hands them out `n` at a time, across file boundaries. */
class LineSource {
  private readonly iterator: AsyncIterator<string[]>;
  private buffer: string[] = [];
  private offset = 0;
  private done = false;

  constructor(lines: AsyncIterable<string[]>) {
    this.iterator = lines[Symbol.asyncIterator]();
  }

  async hasMore(): Promise<boolean> {
    await this.fill();
    return this.offset < this.buffer.length;
  }

  async *take(n: number): AsyncGenerator<string[]> {
    let left = n;
    while (left > 0) {
      await this.fill();
      if (this.offset >= this.buffer.length) return;
      const end = Math.min(this.buffer.length, this.offset + left);
      const slice = this.buffer.slice(this.offset, end);
      left -= slice.length;
      this.offset = end;
      yield slice;
    }
  }

  private async fill(): Promise<void> {
    while (this.offset >= this.buffer.length && !this.done) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        this.buffer = [];
        this.offset = 0;
      } else {
        this.buffer = next.value;
        this.offset = 0;
      }
    }
  }
}
