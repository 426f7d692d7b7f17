import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Topics } from '@audx/contracts';
import { APP_CONFIG, DomainError, Errors, LOGGER, ServiceRuntime, decodeCursor, encodeCursor, parseLimit } from '@audx/platform';
import type { IngestionConfig } from '../config';
import { DEFAULT_DATA_SOURCE, DataSourceReplica, KnownDataSource } from '../data-sources/data-source-replica.repository';
import { isSafeFileName, parseAamFileName } from '../parsing/file-name';
import type { ImportFormat } from '../parsing/formats';
import { PoliciesRepository } from '../policies/policies.repository';
import { SegmentGate } from '../policies/segment-gate';
import { SegmentsRepository } from '../segments/segments.repository';
import { ImportMetrics } from './import-metrics';
import { ImportPipeline } from './import-pipeline';
import { ImportView, toImportView } from './import-view';
import { markingLastChunks } from './last-chunk-marking';
import { ACCEPTED_CONTENT_TYPES, type ImportQuery, type ListImportsQuery } from './import-request';
import { ImportSource, ImportsRepository } from './imports.repository';

export interface ImportRequest extends ImportQuery {
  contentType: string | null;
  contentEncoding: string | null;
  correlationId: string | null;
}

/** Runs imports from every entry point (API, drop folder) and answers the import queries. */
@Injectable()
export class ImportsService {
  private readonly pipeline: ImportPipeline;

  constructor(
    @Inject(ImportsRepository) private readonly imports: ImportsRepository,
    @Inject(DataSourceReplica) private readonly dataSources: DataSourceReplica,
    @Inject(PoliciesRepository) policies: PoliciesRepository,
    @Inject(SegmentsRepository) segments: SegmentsRepository,
    @Inject(ServiceRuntime) runtime: ServiceRuntime,
    @Inject(APP_CONFIG) private readonly config: IngestionConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ImportMetrics) private readonly metrics: ImportMetrics,
  ) {
    this.pipeline = new ImportPipeline(
      imports,
      (orgId) => SegmentGate.open(orgId, policies, segments),
      markingLastChunks(runtime.producer, imports),
      {
        maxBytes: config.IMPORT_MAX_BYTES,
        maxUncompressedBytes: config.IMPORT_MAX_UNCOMPRESSED_BYTES,
        maxGzipRatio: config.IMPORT_MAX_GZIP_RATIO,
        chunkSize: config.IMPORT_CHUNK_SIZE,
        dedupeMemoryLines: config.IMPORT_DEDUPE_MEMORY_LINES,
        // a third of the stale age: two missed beats still leave the import alive
        heartbeatMs: Math.min(5000, (config.IMPORT_STALE_SECONDS * 1000) / 3),
      },
      logger,
      () =>
        runtime.backlog.giveWay(Topics.segmentMembership, {
          maxBehind: config.STREAM_PRIORITY_BACKLOG,
          maxLagMs: config.STREAM_PRIORITY_LAG_MS,
          maxWaitMs: config.STREAM_PRIORITY_MAX_WAIT_MS,
        }),
    );
  }

  /** Everything that can be refused without reading the body; throws 400/413/415/422. */
  async plan(orgId: string, req: ImportRequest, contentLength: number | null) {
    const type = (req.contentType ?? '').split(';')[0].trim().toLowerCase();
    if (!(ACCEPTED_CONTENT_TYPES as readonly string[]).includes(type)) {
      throw Errors.unsupportedMedia(`content type '${type || '(none)'}' is not accepted: use text/plain, application/gzip or application/x-ndjson`);
    }
    if (contentLength !== null && contentLength > this.config.IMPORT_MAX_BYTES) throw Errors.tooLarge(`the upload exceeds the maximum of ${this.config.IMPORT_MAX_BYTES} bytes`);
    if (req.fileName !== undefined && !isSafeFileName(req.fileName)) throw Errors.badRequest('fileName: must be a plain file name (letters, digits, . _ -), no folders');
    const facts = req.fileName ? parseAamFileName(req.fileName) : null;
    const format: ImportFormat | undefined = req.format ?? facts?.format ?? (type === 'application/x-ndjson' ? 'ndjson' : undefined);
    if (!format) throw Errors.badRequest('format: required (aam-outbound, aam-inbound or ndjson) unless fileName is an AAM file name');
    const mode = req.mode ?? facts?.mode ?? 'iter';
    const name = req.dataSource ?? DEFAULT_DATA_SOURCE;
    const dataSource = facts && !req.dataSource ? await this.dataSources.findByDpid(orgId, facts.dpid) : await this.dataSources.find(orgId, name);
    if (!dataSource) throw Errors.unprocessable(facts && !req.dataSource ? `no data source of this org has DPID ${facts.dpid}` : `unknown data source '${name}'`);
    if (facts && facts.dpid !== dataSource.dpid) throw Errors.unprocessable(`the file name's DPID ${facts.dpid} is not the DPID ${dataSource.dpid} of data source '${dataSource.name}'`);
    const gzip = type === 'application/gzip' || type === 'application/x-gzip' || (req.contentEncoding ?? '').toLowerCase() === 'gzip' || Boolean(facts?.gzip);
    return { format, mode, dataSource, gzip };
  }

  async importStream(orgId: string, source: ImportSource, req: ImportRequest, body: Readable, contentLength: number | null): Promise<ImportView> {
    const plan = await this.plan(orgId, req, contentLength);
    return this.run(orgId, source, { ...plan, fileName: req.fileName ?? null, correlationId: req.correlationId }, body);
  }

  async run(
    orgId: string,
    source: ImportSource,
    p: { format: ImportFormat; mode: 'iter' | 'full'; dataSource: KnownDataSource; gzip: boolean; fileName: string | null; correlationId: string | null },
    body: Readable,
  ): Promise<ImportView> {
    const importId = `imp_${randomBytes(12).toString('hex')}`;
    const seq = await this.imports.create({ importId, orgId, status: 'receiving', source, dataSource: p.dataSource.name, format: p.format, mode: p.mode, fileName: p.fileName });
    const handedOn = { chunks: 0 };
    try {
      await this.pipeline.run({ seq, importId, orgId, dataSource: p.dataSource, format: p.format, mode: p.mode, gzip: p.gzip, correlationId: p.correlationId, handedOn }, body);
      await this.imports.markHandedOn(seq);
    } catch (err) {
      if (unreadable(err) && handedOn.chunks === 0) {
        // system.md: a file that cannot be read at all is answered 400/413/415 and leaves no trace
        await this.imports.delete(seq);
        throw err;
      }
      const status = err instanceof DomainError && err.status === 422 ? 'rejected' : 'failed';
      await this.imports.markEnded(seq, status, failureReasonOf(err));
      if (!(err instanceof DomainError)) this.logger.error({ err, importId }, 'import failed');
      throw err;
    } finally {
      void this.imports.forgetLineHashes(seq).catch(() => undefined);
    }
    const view = await this.get(orgId, importId);
    this.metrics.accepted(view.receipt);
    return view;
  }

  async get(orgId: string, importId: string): Promise<ImportView> {
    const row = await this.imports.find(orgId, importId);
    if (!row) throw Errors.notFound(`import ${importId}`);
    return toImportView(row);
  }

  async list(orgId: string, q: ListImportsQuery): Promise<{ items: ImportView[]; next: string | null }> {
    const limit = parseLimit(q.limit, 50, 500);
    const cursor = decodeCursor(q.after, 1);
    const rows = await this.imports.list(orgId, {
      status: q.status,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      beforeSeq: cursor ? String(cursor[0]) : undefined,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return { items: page.map(toImportView), next: rows.length > limit ? encodeCursor([page[page.length - 1].seq]) : null };
  }
}

/**
 * Refused for what the file is (corrupt gzip, too large, ...), answered to the caller at once.
 * A client that went away mid-upload is not: nobody got an answer, so its failed import stays.
 */
function unreadable(err: unknown): boolean {
  return err instanceof DomainError && [400, 413, 415].includes(err.status) && err.code !== 'client_aborted';
}

/** What GET /v1/imports says of a failure: the client's own mistake as it was told, anything else as one stable sentence (the cause is logged, never shown: it names hosts, tables or paths). */
export const INTERNAL_FAILURE = 'the service could not hand the import on (a broker or database failure, logged with the import id); send the file again';

export function failureReasonOf(err: unknown): string {
  return err instanceof DomainError ? err.message : INTERNAL_FAILURE;
}
