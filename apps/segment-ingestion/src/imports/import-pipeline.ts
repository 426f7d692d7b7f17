import { hash } from 'node:crypto';
import { Readable, Transform, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Logger } from 'pino';
import { Topics, digestUuid } from '@audx/contracts';
import { isVisitorId } from '@audx/identifiers';
import { EventProducer, buildMessage } from '@audx/messaging';
import { DomainError, Errors } from '@audx/platform';
import { ByteLimit, InflationGuard } from '../parsing/byte-guards';
import { ImportFormat, MemberLine, PARSERS } from '../parsing/formats';
import { Line, LineSplitter } from '../parsing/line-splitter';
import { MAX_SEGMENTS_PER_IMPORT, SegmentGate, SegmentViolation } from '../policies/segment-gate';
import type { KnownDataSource } from '../data-sources/data-source-replica.repository';
import type { ImportsRepository } from './imports.repository';
import { LineError, Receipt, ReceiptView } from './receipt';
import { ChunkBuilder } from './chunk-builder';
import { LineDeduper } from './line-deduper';

export interface ImportJob {
  seq: string;
  importId: string;
  orgId: string;
  dataSource: KnownDataSource;
  format: ImportFormat;
  mode: 'iter' | 'full';
  gzip: boolean;
  correlationId: string | null;
  /** Chunks acknowledged by Kafka so far, kept up to date for the caller even when the run fails. */
  handedOn?: { chunks: number };
}

export interface PipelineLimits {
  maxBytes: number;
  maxUncompressedBytes: number;
  maxGzipRatio: number;
  chunkSize: number;
  /** Distinct lines de-duplicated in memory; later ones are checked through MySQL (memory stays flat). */
  dedupeMemoryLines: number;
  /** How often a live import proves it is alive: well inside IMPORT_STALE_SECONDS, or the sweeper fails it. */
  heartbeatMs: number;
}

export interface ImportOutcome {
  receipt: ReceiptView;
  errors: LineError[];
  violations: SegmentViolation[];
  chunks: number;
}

interface Pending {
  hash: Buffer;
  member: MemberLine;
}

/** A chunk's event id is derived from (import, seq): a re-sent chunk is the same event. */
export function chunkEventId(importId: string, seq: number): string {
  return digestUuid(`${importId}/${seq}`, '5');
}

/**
 * Streams one file into `segment.imported` chunks: bytes -> (gunzip) -> lines -> parse -> validate
 * -> de-duplicate -> policy gate -> chunks of `chunkSize` members, each acknowledged by all in-sync
 * replicas before the next is read. Nothing is applied until the last chunk, which carries the
 * totals, is sent: a failure before it leaves no list change. Memory is bounded by one chunk.
 */
export class ImportPipeline {
  constructor(
    private readonly imports: ImportsRepository,
    private readonly openGate: (orgId: string) => Promise<SegmentGate>,
    private readonly producer: EventProducer,
    private readonly limits: PipelineLimits,
    private readonly logger: Logger,
    /** Awaited before each chunk: lets live work of the same process (the membership stream) go first. */
    private readonly giveWay: () => Promise<unknown> = async () => undefined,
  ) {}

  async run(job: ImportJob, input: Readable): Promise<ImportOutcome> {
    const receipt = new Receipt();
    const gate = await this.openGate(job.orgId);
    const parse = PARSERS[job.format];
    const lines = this.lines(input, job.gzip);
    const pending: Pending[] = [];
    const chunks = new ChunkBuilder({ importId: job.importId, sequence: Number(job.seq), dataSource: job.dataSource.name, mode: job.mode }, (s) => gate.labels.get(s) ?? []);
    const inFlight: Promise<void>[] = [];
    let lastBeat = Date.now();

    const deduper = new LineDeduper(this.limits.dedupeMemoryLines);
    const flush = async (last: boolean, batch: Pending[]) => {
      const duplicate = await this.duplicates(job, deduper, batch);
      const members: MemberLine[] = [];
      for (let i = 0; i < batch.length; i++) {
        const p = batch[i];
        if (duplicate[i]) {
          receipt.duplicateLines++;
          continue;
        }
        const add = p.member.add.filter((s) => gate.allowed(s));
        const remove = p.member.remove.filter((s) => gate.allowed(s));
        if (add.length + remove.length === 0) continue;
        receipt.membershipsAdded += add.length;
        receipt.membershipsRemoved += remove.length;
        for (const s of [...add, ...remove]) receipt.segments.add(s);
        members.push({ userId: p.member.userId, add, remove });
      }
      // built here from validated lines: no second schema pass over thousands of members
      for (const payload of chunks.build(members, last, receipt.invalidIds)) {
        await this.producer.sendMessages([
          buildMessage('segment-ingestion', Topics.segmentImported, job.orgId, payload, { id: chunkEventId(job.importId, payload.seq), correlationId: job.correlationId, trusted: true }),
        ]);
        if (job.handedOn) job.handedOn.chunks = payload.seq + 1;
      }
    };

    const handle = async (line: Line): Promise<void> => {
      receipt.recordsReceived++;
      if ('error' in line) {
        receipt.formatError(line.lineNo, line.error);
        return;
      }
      if (line.text.trim() === '') {
        receipt.formatError(line.lineNo, 'empty line');
        return;
      }
      const parsed = parse(line.text);
      if ('error' in parsed) {
        if (parsed.invalidId) receipt.invalidId(line.lineNo, parsed.error);
        else receipt.formatError(line.lineNo, parsed.error);
        return;
      }
      if (job.dataSource.kind === 'visitor' && !isVisitorId(parsed.userId)) {
        receipt.invalidId(line.lineNo, 'a Visitor ID must be 38 digits');
        return;
      }
      const newSegments = [...parsed.add, ...parsed.remove].filter((s) => !gate.labels.has(s));
      if (newSegments.length) {
        if (gate.seen + newSegments.length > MAX_SEGMENTS_PER_IMPORT) {
          receipt.formatError(line.lineNo, `more than ${MAX_SEGMENTS_PER_IMPORT} distinct segments in one import`);
          return;
        }
        await gate.decide(newSegments);
      }
      pending.push({ hash: hash('md5', line.text, 'buffer') as unknown as Buffer, member: parsed });
      if (pending.length >= this.limits.chunkSize) {
        await this.giveWay();
        // Chunks are de-duplicated and sent in order, one after the other, while parsing goes on;
        // at most two wait, which bounds memory.
        const batch = pending.splice(0);
        const sent = (inFlight[inFlight.length - 1] ?? Promise.resolve()).then(() => flush(false, batch));
        sent.catch(() => undefined); // awaited below; this only keeps a failure from being "unhandled" meanwhile
        inFlight.push(sent);
        if (inFlight.length > 2) await inFlight.shift();
      }
      if (Date.now() - lastBeat > this.limits.heartbeatMs) {
        lastBeat = Date.now();
        await this.imports.saveReceipt(job.seq, receipt.view(), receipt.errors, gate.violations);
      }
    };

    // Keeps the job alive for the stale-import sweeper even while a slow client sends nothing.
    const keepAlive = setInterval(() => void this.imports.touch(job.seq).catch(() => undefined), this.limits.heartbeatMs);
    try {
      for await (const line of lines as AsyncIterable<Line>) await handle(line);
      for (const f of inFlight.splice(0)) await f;
    } catch (err) {
      await Promise.allSettled(inFlight.splice(0));
      throw translate(err as Error);
    } finally {
      clearInterval(keepAlive);
    }
    if (receipt.recordsReceived === 0) throw new DomainError('empty_file', 'the file is empty', 422);
    // Save the receipt before the last chunk: reconciliation may complete the import right after it.
    await this.imports.saveReceipt(job.seq, receipt.view(), receipt.errors, gate.violations);
    for (const f of inFlight.splice(0)) await f;
    await flush(true, pending.splice(0));
    await this.imports.saveReceipt(job.seq, receipt.view(), receipt.errors, gate.violations);
    this.logger.info({ importId: job.importId, records: receipt.recordsReceived, chunks: chunks.chunks }, 'import handed on');
    return { receipt: receipt.view(), errors: receipt.errors, violations: gate.violations, chunks: chunks.chunks };
  }

  /**
   * Which lines of a batch repeat an earlier line of the file (or of the batch): in memory, and
   * through MySQL only for the lines past the in-memory limit.
   */
  private async duplicates(job: ImportJob, deduper: LineDeduper, batch: Pending[]): Promise<boolean[]> {
    const flags = batch.map(() => false);
    const overflow: number[] = [];
    batch.forEach((p, i) => {
      const seen = deduper.remember(p.hash);
      if (seen === 'duplicate') flags[i] = true;
      else if (seen === 'overflow') overflow.push(i);
    });
    if (overflow.length > 0) {
      const stored = await this.imports.claimLineHashes(job.seq, overflow.map((i) => batch[i].hash));
      const local = new Set<string>();
      for (const i of overflow) {
        const hex = batch[i].hash.toString('hex');
        if (stored.has(hex) || local.has(hex)) flags[i] = true;
        local.add(hex);
      }
    }
    return flags;
  }

  private lines(input: Readable, gzip: boolean): LineSplitter {
    const limit = new ByteLimit(this.limits.maxBytes, 'the upload');
    const splitter = new LineSplitter();
    const stages: (Readable | Transform)[] = [input, limit];
    if (gzip) {
      stages.push(createGunzip({ chunkSize: 64 * 1024 }), new InflationGuard(limit, this.limits.maxGzipRatio), new ByteLimit(this.limits.maxUncompressedBytes, 'the uncompressed content'));
    }
    stages.push(splitter);
    // Errors destroy every stage; the reader of `splitter` sees them and translates them.
    pipeline(stages as unknown as [Readable, Transform], () => undefined);
    return splitter;
  }
}

/** Maps stream failures to errors a client can act on. */
export function translate(err: Error): Error {
  if (err instanceof DomainError) return err;
  const code = (err as { code?: string }).code ?? '';
  if (code.startsWith('Z_') || /unexpected end of file|incorrect header check|invalid (block|stored|distance)/i.test(err.message)) {
    return Errors.badRequest(`the gzip stream is truncated or corrupt (${err.message})`);
  }
  if (code === 'ECONNRESET' || /aborted|premature close/i.test(err.message)) return new DomainError('client_aborted', 'the client aborted the upload', 400);
  return err;
}
