import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ListExported, ShareRecord, Topics, digestUuid } from '@audx/contracts';
import { CHUNK_BUDGET_BYTES, buildMessage } from '@audx/messaging';
import { APP_CONFIG, Errors, LOGGER, ServiceRuntime } from '@audx/platform';
import { newExportId } from '../common/ids';
import type { IdentityConfig } from '../config';
import { matcherOf } from '../data-sources/data-source';
import { DataSourcesService } from '../data-sources/data-sources.service';
import type { ShareListDto } from '../lists/lists.dto';
import { ListsRepository } from '../lists/lists.repository';
import { ExportSender } from './export-sender';
import { ExportsRepository } from './exports.repository';
import { identifiersOf, memberKeyColumns } from './identifier-resolver';

const PAGE = 5000;
/** Identifiers' bytes per chunk: a chunk stays far below a broker's default 1 MiB message limit. */
const CHUNK_IDENTIFIER_BYTES = CHUNK_BUDGET_BYTES;

type Totals = NonNullable<ListExported['totals']>;

/** A chunk's event id is derived from (org, export, seq): a re-sent chunk is the same event. */
export function exportChunkEventId(orgId: string, exportId: string, seq: number): string {
  return digestUuid(`${orgId}/${exportId}/${seq}`, '5');
}

/**
 * "Update shared audience": resolves every member of a list to the data source's identifier and
 * snapshots the `list.exported` chunks in ONE transaction (all or nothing), reading members a page
 * at a time and writing each chunk as it fills, so memory stays flat whatever the list size. The
 * bulk never rides in the outbox: `ExportSender` streams the snapshot to Kafka after the commit.
 */
@Injectable()
export class ExportsService {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ListsRepository) private readonly lists: ListsRepository,
    @Inject(ExportsRepository) private readonly exports: ExportsRepository,
    @Inject(ExportSender) private readonly sender: ExportSender,
    @Inject(DataSourcesService) private readonly dataSources: DataSourcesService,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async share(orgId: string, listId: string, body: ShareListDto): Promise<{ exportId: string }> {
    const started = Date.now();
    const chunkSize = this.config.EXPORT_CHUNK_SIZE;
    const result = await this.runtime.transaction(async (manager, outbox) => {
      // taken before the first read, so a later share reads a snapshot at least as new
      const sharedAt = new Date().toISOString();
      const list = await this.lists.find(manager, orgId, listId);
      if (!list) throw Errors.notFound('list');
      const ds = await this.dataSources.resolve(manager, orgId, body.dataSource, outbox);
      if (!ds) throw Errors.unprocessable(`dataSource: ${body.dataSource} does not exist`);
      const matcher = matcherOf(ds);
      const exportId = newExportId();
      const totals: Totals = { chunks: 0, members: 0, withIdentifier: 0, complement: 0, blocked: 0, identifiers: 0 };
      let buffer: string[] = [];
      let bufferBytes = 0;
      let seq = 0;
      const emit = async (identifiers: string[], last: boolean) => {
        const message = buildMessage('identity-reconciliation', Topics.listExported, orgId, {
          exportId,
          listId: list.listId,
          dataSource: ds.name,
          segmentId: body.segmentId ?? null,
          audienceName: body.audienceName ?? null,
          mode: body.mode,
          labels: list.labels,
          exportControls: ds.exportControls,
          dpid: ds.dpid,
          seq,
          last,
          identifiers,
          sharedAt,
          ...(last ? { totals: { ...totals, chunks: seq + 1 } } : {}),
        }, { id: exportChunkEventId(orgId, exportId, seq) });
        await this.exports.insertChunk(manager, { orgId, exportId, seq, eventId: message.envelope.id, key: message.key, value: JSON.stringify(message.envelope) });
        seq++;
      };
      const columns = memberKeyColumns(matcher);
      let after = '0';
      for (;;) {
        const page = await this.exports.memberPage(manager, list.listPk, after, columns, PAGE);
        if (page.length === 0) break;
        after = String(page[page.length - 1].rid);
        totals.members += page.length;
        const eligible = page.filter((m) => Number(m.blocklisted) !== 1);
        totals.blocked += page.length - eligible.length;
        const identifiers = await identifiersOf(manager, orgId, matcher, eligible);
        for (const m of eligible) {
          const ids = identifiers.get(String(m.rid));
          if (!ids || ids.length === 0) {
            totals.complement++;
            continue;
          }
          totals.withIdentifier++;
          totals.identifiers += ids.length;
          for (const id of ids) {
            // a chunk is cut by count and by bytes, whichever comes first
            const bytes = Buffer.byteLength(id) + 3;
            if (buffer.length >= chunkSize || (buffer.length > 0 && bufferBytes + bytes > CHUNK_IDENTIFIER_BYTES)) {
              await emit(buffer, false);
              buffer = [];
              bufferBytes = 0;
            }
            buffer.push(id);
            bufferBytes += bytes;
          }
        }
      }
      await emit(buffer, true);
      totals.chunks = seq;
      await this.exports.insert(manager, {
        orgId,
        exportId,
        listId: list.listId,
        dataSource: ds.name,
        segmentId: body.segmentId ?? null,
        audienceName: body.audienceName ?? null,
        mode: body.mode,
        chunks: totals.chunks,
        members: totals.members,
        withIdentifier: totals.withIdentifier,
        complement: totals.complement,
        blocked: totals.blocked,
        identifiers: totals.identifiers,
      });
      return { exportId, totals };
    });
    this.sender.wake();
    this.logger.info({ exportId: result.exportId, ...result.totals, ms: Date.now() - started }, 'list exported');
    return { exportId: result.exportId };
  }

  /** One share of the org (audience-publication asks, to tell "not arrived yet" from "no such export"). */
  async find(orgId: string, exportId: string): Promise<ShareRecord> {
    if (exportId.length > 40) throw Errors.notFound('export');
    const r = await this.exports.find(this.runtime.dataSource.manager, orgId, exportId);
    if (!r) throw Errors.notFound('export');
    return {
      exportId: r.export_id,
      listId: r.list_id,
      dataSource: r.data_source,
      segmentId: r.segment_id,
      audienceName: r.audience_name,
      mode: r.mode,
      chunks: Number(r.chunks),
      members: Number(r.members),
      withIdentifier: Number(r.with_identifier),
      complement: Number(r.complement),
      blocked: Number(r.blocked),
      createdAt: new Date(r.created_at).toISOString(),
    };
  }
}
