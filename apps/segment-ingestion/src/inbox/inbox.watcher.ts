import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { OrgIdSchema } from '@audx/contracts';
import { APP_CONFIG, DomainError, LOGGER, ownedFolder, readSmallFile, writeFileNoFollow } from '@audx/platform';
import type { IngestionConfig } from '../config';
import { DEFAULT_DATA_SOURCE, DataSourceReplica } from '../data-sources/data-source-replica.repository';
import { ImportsService, failureReasonOf } from '../imports/imports.service';
import { ByteLimit, InflationGuard } from '../parsing/byte-guards';
import { isSafeFileName, parseAamFileName } from '../parsing/file-name';
import type { ImportFormat } from '../parsing/formats';
import { InfoEntry, parseInfo } from './info-file';

const PROCESSING = '.processing';
const SYSTEM_DIRS = new Set(['done', 'failed', PROCESSING]);
/** An `.info` lists a batch's files: a megabyte is thousands of entries. */
const MAX_INFO_BYTES = 1024 * 1024;
/** Reads never follow a link: a symlink planted in the folder must not import (or leak) a file outside it. */
const READ_NO_FOLLOW = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW;
/** How often a batch being imported touches its claimed files, so other replicas see it is alive. */
const CLAIM_HEARTBEAT_MS = 5000;

interface GzipLimits {
  maxBytes: number;
  maxUncompressedBytes: number;
  maxGzipRatio: number;
}

/**
 * The drop folder: `INBOX_DIR/<orgId>/`. A batch with a `<root>.info` control file is imported
 * as one import once every listed file is present with its size and md5; a lone file once its
 * size stops changing, except a part of a split batch, which waits for its `.info` (imported
 * alone, a part of a `full` batch would replace whole lists). Only regular files are read, never
 * through a link. Files are claimed by an atomic rename (several replicas may watch one folder),
 * then moved to `done/` or `failed/` with `<name>.receipt.json` beside them; claimed files that
 * stop being touched belong to a process that died, and go to `failed/`.
 */
@Injectable()
export class InboxWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private readonly sizes = new Map<string, number>();
  /** When a split part without a `.info` was first seen (it fails after INBOX_BATCH_WAIT_SECONDS). */
  private readonly orphanParts = new Map<string, number>();
  /** md5 per file version (path, size, mtime): a batch waiting for a late file is not re-hashed every scan. */
  private readonly md5s = new Map<string, { version: string; md5: string }>();

  constructor(
    @Inject(ImportsService) private readonly imports: ImportsService,
    @Inject(DataSourceReplica) private readonly dataSources: DataSourceReplica,
    @Inject(APP_CONFIG) private readonly config: IngestionConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    fs.mkdirSync(this.config.INBOX_DIR, { recursive: true });
    this.timer = setInterval(() => {
      if (!this.scanning) this.scanning = this.scan().finally(() => (this.scanning = null));
    }, this.config.INBOX_SCAN_MS);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.scanning;
  }

  async scan(): Promise<void> {
    for (const org of await readdirSafe(this.config.INBOX_DIR)) {
      if (!OrgIdSchema.safeParse(org).success) continue;
      const stat = await fs.promises.lstat(path.join(this.config.INBOX_DIR, org)).catch(() => null);
      if (!stat?.isDirectory()) continue; // a link to another org's folder is not that org's folder
      try {
        await this.scanOrg(org, path.join(this.config.INBOX_DIR, org));
      } catch (err) {
        this.logger.warn({ org, err: String(err) }, 'inbox scan failed');
      }
    }
  }

  private async scanOrg(orgId: string, dir: string): Promise<void> {
    const names = (await readdirSafe(dir)).filter((n) => !SYSTEM_DIRS.has(n) && !n.startsWith('.') && !n.endsWith('.receipt.json'));
    const claimedByInfo = new Set<string>();
    for (const info of names.filter((n) => n.endsWith('.info'))) {
      if (!(await fs.promises.lstat(path.join(dir, info)).catch(() => null))?.isFile()) {
        await this.finish(dir, dir, [info], 'failed', { error: 'refused: not a regular file (links are never followed)' });
        continue;
      }
      const text = await readSmallFile(path.join(dir, info), MAX_INFO_BYTES).catch(() => '');
      if (text === null) {
        await this.finish(dir, dir, [info], 'failed', { error: `refused: an .info file is at most ${MAX_INFO_BYTES} bytes` });
        continue;
      }
      const parsed = parseInfo(text);
      if ('error' in parsed) {
        await this.finish(dir, dir, [info], 'failed', { error: parsed.error });
        continue;
      }
      parsed.entries.forEach((e) => claimedByInfo.add(e.name));
      const state = await this.batchState(dir, parsed.entries);
      if (state === 'waiting') continue;
      if (state !== 'complete') {
        parsed.entries.forEach((e) => this.md5s.delete(path.join(dir, e.name)));
        await this.finish(dir, dir, [info, ...parsed.entries.map((e) => e.name).filter((n) => fs.existsSync(path.join(dir, n)))], 'failed', { error: state });
        continue;
      }
      await this.importBatch(orgId, dir, info, parsed.entries.map((e) => e.name));
    }
    for (const name of names) {
      if (name.endsWith('.info') || claimedByInfo.has(name)) continue;
      if (!isSafeFileName(name)) {
        await this.finish(dir, dir, [name], 'failed', { error: 'refused file name' });
        continue;
      }
      const key = path.join(dir, name);
      const stat = await fs.promises.lstat(key).catch(() => null);
      if (!stat) continue;
      if (!stat.isFile()) {
        if (!stat.isDirectory()) await this.finish(dir, dir, [name], 'failed', { error: 'refused: not a regular file (links are never followed)' });
        continue;
      }
      if (parseAamFileName(name)?.split) {
        await this.holdSplitPart(dir, name);
        continue;
      }
      const before = this.sizes.get(key);
      this.sizes.set(key, stat.size);
      if (before !== stat.size) continue; // still being written: look again next scan
      this.sizes.delete(key);
      await this.importBatch(orgId, dir, null, [name]);
    }
    await this.failAbandonedClaims(dir);
  }

  /** A part of a split batch waits for the `.info` that lists it, and fails if none comes. */
  private async holdSplitPart(dir: string, name: string): Promise<void> {
    const key = path.join(dir, name);
    const firstSeen = this.orphanParts.get(key) ?? Date.now();
    this.orphanParts.set(key, firstSeen);
    if (Date.now() - firstSeen < this.config.INBOX_BATCH_WAIT_SECONDS * 1000) return;
    this.orphanParts.delete(key);
    await this.finish(dir, dir, [name], 'failed', { error: `a part of a split batch, and no .info listed it within ${this.config.INBOX_BATCH_WAIT_SECONDS} s` });
  }

  /** Files left in `.processing` by a process that died mid-import (no heartbeat for a while) go to `failed/`. */
  private async failAbandonedClaims(dir: string): Promise<void> {
    // a link in place of .processing would list (and move) another folder's files: never read it
    if (!(await fs.promises.lstat(path.join(dir, PROCESSING)).catch(() => null))?.isDirectory()) return;
    const work = path.join(dir, PROCESSING);
    const staleMs = Math.max(4 * CLAIM_HEARTBEAT_MS, 2 * this.config.IMPORT_STALE_SECONDS * 1000);
    for (const name of await readdirSafe(work)) {
      const stat = await fs.promises.lstat(path.join(work, name)).catch(() => null);
      if (!stat || Date.now() - stat.mtimeMs < staleMs) continue;
      await this.finish(dir, work, [name], 'failed', { error: 'interrupted: the service stopped while importing this file; GET /v1/imports shows whether its import was applied' });
      this.logger.warn({ file: name }, 'inbox file of an interrupted import moved to failed/');
    }
  }

  /** 'complete', 'waiting' (a file missing or still growing), or why the batch fails. */
  private async batchState(dir: string, entries: InfoEntry[]): Promise<string> {
    for (const e of entries) {
      const stat = await fs.promises.lstat(path.join(dir, e.name)).catch(() => null);
      if (stat && !stat.isFile()) return `${e.name}: not a regular file (links are never followed)`;
      if (!stat || stat.size < e.size) return 'waiting';
      if (stat.size > e.size) return `${e.name}: ${stat.size} bytes, the .info says ${e.size}`;
      const md5 = await this.md5Of(path.join(dir, e.name), `${stat.size}/${stat.mtimeMs}`);
      if (md5 !== e.md5) return `${e.name}: md5 ${md5} does not match the .info (${e.md5})`;
    }
    return 'complete';
  }

  private async md5Of(file: string, version: string): Promise<string> {
    const known = this.md5s.get(file);
    if (known?.version === version) return known.md5;
    const md5 = await md5Of(file);
    this.md5s.set(file, { version, md5 });
    return md5;
  }

  private async importBatch(orgId: string, dir: string, info: string | null, files: string[]): Promise<void> {
    const work = await ownedFolder(dir, PROCESSING);
    if (!work) {
      this.logger.warn({ orgId, folder: PROCESSING }, 'inbox: refused a link or file in place of a working folder; nothing imported');
      return;
    }
    const claimed: string[] = [];
    for (const n of info ? [info, ...files] : files) {
      try {
        await fs.promises.rename(path.join(dir, n), path.join(work, n));
        claimed.push(n);
      } catch {
        // another replica took it: give back what this one claimed
        for (const c of claimed) await fs.promises.rename(path.join(work, c), path.join(dir, c)).catch(() => undefined);
        return;
      }
    }
    const first = files[0];
    let result: unknown;
    let outcome: 'done' | 'failed' = 'done';
    const heartbeat = setInterval(() => {
      const now = new Date();
      for (const n of claimed) void fs.promises.utimes(path.join(work, n), now, now).catch(() => undefined);
    }, CLAIM_HEARTBEAT_MS);
    try {
      const facts = parseAamFileName(first);
      const format: ImportFormat | null = facts?.format ?? (first.endsWith('.ndjson') || first.endsWith('.ndjson.gz') ? 'ndjson' : null);
      if (!format) throw new DomainError('unknown_format', 'not an AAM file name nor .ndjson: cannot tell the format', 422);
      const dataSource = facts ? await this.dataSources.findByDpid(orgId, facts.dpid) : await this.dataSources.find(orgId, DEFAULT_DATA_SOURCE);
      if (!dataSource) throw new DomainError('unknown_data_source', `no data source of this org has DPID ${facts?.dpid}`, 422);
      result = await this.imports.run(
        orgId,
        'inbox',
        { format, mode: facts?.mode ?? 'iter', dataSource, gzip: false, fileName: info ?? first, correlationId: null },
        concatenated(
          files.map((f) => path.join(work, f)),
          { maxBytes: this.config.IMPORT_MAX_BYTES, maxUncompressedBytes: this.config.IMPORT_MAX_UNCOMPRESSED_BYTES, maxGzipRatio: this.config.IMPORT_MAX_GZIP_RATIO },
        ),
      );
    } catch (err) {
      outcome = 'failed';
      // the receipt sits in the org's folder: its own mistakes as told, anything else as one sentence
      result = { error: failureReasonOf(err) };
      if (!(err instanceof DomainError)) this.logger.error({ err, orgId, files: files.length }, 'inbox batch failed');
    } finally {
      clearInterval(heartbeat);
    }
    for (const n of claimed) this.md5s.delete(path.join(dir, n));
    await this.finish(dir, work, claimed, outcome, result);
    this.logger.info({ orgId, files: files.length, outcome }, 'inbox batch processed');
  }

  /**
   * Moves files to the org's `done/` or `failed/` with a receipt. The folder must be a real folder
   * of the org: a link planted in its place would send the files, and the receipt, elsewhere.
   */
  private async finish(orgDir: string, fromDir: string, names: string[], outcome: 'done' | 'failed', receipt: unknown): Promise<void> {
    const target = await ownedFolder(orgDir, outcome);
    if (!target) {
      this.logger.warn({ folder: outcome }, 'inbox: refused a link or file in place of a working folder; files left where they are');
      return;
    }
    for (const n of names) await fs.promises.rename(path.join(fromDir, n), path.join(target, n)).catch(() => undefined);
    const root = names[0].replace(/\.info$/, '');
    await writeFileNoFollow(target, `${root}.receipt.json`, JSON.stringify(receipt, null, 2));
  }
}

async function readdirSafe(dir: string): Promise<string[]> {
  return fs.promises.readdir(dir).catch(() => []);
}

function md5Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('md5');
    readNoFollow(file).on('error', reject).on('data', (d) => h.update(d)).on('end', () => resolve(h.digest('hex')));
  });
}

/**
 * The files of a batch one after the other as one stream, each gunzipped when its name ends in
 * .gz under the same limits as an upload (size, decompressed size, decompression-bomb ratio).
 */
function concatenated(files: string[], limits: GzipLimits): Readable {
  const out = new PassThrough();
  void (async () => {
    try {
      for (const f of files) {
        const src = f.endsWith('.gz') ? gunzipped(f, limits) : readNoFollow(f);
        let lastByte = 0x0a;
        for await (const chunk of src as AsyncIterable<Buffer>) {
          if (chunk.length) lastByte = chunk[chunk.length - 1];
          if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
        }
        if (lastByte !== 0x0a) out.write('\n'); // a file without a final newline must not glue onto the next
      }
      out.end();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  return out;
}

/** Opens with O_NOFOLLOW (ELOOP on a link), then streams from that descriptor. */
function readNoFollow(file: string): Readable {
  return fs.createReadStream(file, { fd: fs.openSync(file, READ_NO_FOLLOW) });
}

function gunzipped(file: string, limits: GzipLimits): Readable {
  const compressed = new ByteLimit(limits.maxBytes, path.basename(file));
  const out = new ByteLimit(limits.maxUncompressedBytes, `the uncompressed content of ${path.basename(file)}`);
  // an error anywhere destroys every stage, `out` included, and so reaches its reader
  pipeline(readNoFollow(file), compressed, createGunzip({ chunkSize: 64 * 1024 }), new InflationGuard(compressed, limits.maxGzipRatio), out, () => undefined);
  return out;
}
