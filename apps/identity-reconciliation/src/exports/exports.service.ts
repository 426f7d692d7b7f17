import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ListExported, ShareRecord, Topics } from '@audx/contracts';
import { APP_CONFIG, Errors, LOGGER, ServiceRuntime } from '@audx/platform';
import { newExportId } from '../common/ids';
import { rows } from '../common/sql';
import type { IdentityConfig } from '../config';
import { matcherOf } from '../data-sources/data-source';
import { DataSourcesService } from '../data-sources/data-sources.service';
import type { ShareListDto } from '../lists/lists.dto';
import { ListsRepository } from '../lists/lists.repository';
import { MemberRow, identifiersOf, memberKeyColumns } from './identifier-resolver';

const PAGE = 5000;

type Totals = NonNullable<ListExported['totals']>;

interface ShareRow {
  export_id: string;
  list_id: string;
  data_source: string;
  segment_id: string | null;
  audience_name: string | null;
  mode: string;
  chunks: number;
  members: number;
  with_identifier: number;
  complement: number;
  blocked: number;
  created_at: Date;
}

/**
 * "Update shared audience": resolves every member of a list to the data source's identifier and
 * writes the `list.exported` chunks to the outbox in ONE transaction (all or nothing), reading
 * members a page at a time and flushing each chunk, so memory stays flat whatever the list size.
 */
@Injectable()
export class ExportsService {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ListsRepository) private readonly lists: ListsRepository,
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
      let seq = 0;
      const emit = async (identifiers: string[], last: boolean) => {
        outbox.add(Topics.listExported, orgId, {
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
        });
        seq++;
        await outbox.flush();
      };
      const columns = memberKeyColumns(matcher);
      let after = '0';
      for (;;) {
        const page = await rows<MemberRow>(
          manager,
          `SELECT lm.rid, r.recipient_id, r.blocklisted, ${columns}
           FROM list_members lm JOIN recipients r ON r.rid = lm.rid
           WHERE lm.list_pk = ? AND lm.present = 1 AND lm.rid > ? ORDER BY lm.rid LIMIT ?`,
          [list.listPk, after, PAGE],
        );
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
          buffer.push(...ids);
        }
        while (buffer.length > chunkSize) {
          const chunk = buffer.slice(0, chunkSize);
          buffer = buffer.slice(chunkSize);
          await emit(chunk, false);
        }
      }
      await emit(buffer, true);
      totals.chunks = seq;
      await manager.query(
        `INSERT INTO exports (org_id, export_id, list_id, data_source, segment_id, audience_name, mode, chunks, members, with_identifier, complement, blocked, identifiers, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          orgId,
          exportId,
          list.listId,
          ds.name,
          body.segmentId ?? null,
          body.audienceName ?? null,
          body.mode,
          totals.chunks,
          totals.members,
          totals.withIdentifier,
          totals.complement,
          totals.blocked,
          totals.identifiers,
          new Date(),
        ],
      );
      return { exportId, totals };
    });
    this.logger.info({ exportId: result.exportId, ...result.totals, ms: Date.now() - started }, 'list exported');
    return { exportId: result.exportId };
  }

  /** One share of the org (audience-publication asks, to tell "not arrived yet" from "no such export"). */
  async find(orgId: string, exportId: string): Promise<ShareRecord> {
    if (exportId.length > 40) throw Errors.notFound('export');
    const [r] = await rows<ShareRow>(
      this.runtime.dataSource.manager,
      'SELECT export_id, list_id, data_source, segment_id, audience_name, mode, chunks, members, with_identifier, complement, blocked, created_at FROM exports WHERE org_id = ? AND export_id = ?',
      [orgId, exportId],
    );
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
