import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { ShareRecord, audienceIdOf } from '@audx/contracts';
import { APP_CONFIG, Errors, LOGGER, ServiceRuntime } from '@audx/platform';
import { newExportId } from '../common/ids';
import type { IdentityConfig } from '../config';
import { Matcher, matcherOf } from '../data-sources/data-source';
import { DataSourcesService } from '../data-sources/data-sources.service';
import type { ShareListDto } from '../lists/lists.dto';
import { ListsRepository } from '../lists/lists.repository';
import { ExportChunkWriter, type ChunkTotals } from './export-chunk-writer';
import { ExportSender } from './export-sender';
import { ExportsRepository } from './exports.repository';
import { identifierSql, identifiersOf, memberKeyColumns } from './identifier-resolver';
import { SharesRepository, pagesOf } from './shares.repository';

const PAGE = 5000;

/** Milliseconds per step of a share, for its log line. */
class StepTimer {
  readonly laps: Record<string, number> = {};
  private last = Date.now();

  lap(step: string): void {
    const now = Date.now();
    this.laps[step] = now - this.last;
    this.last = now;
  }
}

interface Resolved {
  members: number;
  blocked: number;
  withIdentifier: number;
  identifiers: number;
}

/**
 * "Update shared audience", in ONE transaction (all or nothing): the list's identifiers now are
 * computed into a temporary set (in SQL, or page by page in Node for encrypted identifiers); an
 * incremental share of an audience that already received a share ships only the difference from
 * that baseline (added and removed, with the base export), anything else ships the whole set;
 * the baseline then becomes the new set. Chunks are snapshotted, never put in the outbox:
 * `ExportSender` streams them to Kafka after the commit. Memory stays flat whatever the list size.
 */
@Injectable()
export class ExportsService {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ListsRepository) private readonly lists: ListsRepository,
    @Inject(ExportsRepository) private readonly exports: ExportsRepository,
    @Inject(SharesRepository) private readonly shares: SharesRepository,
    @Inject(ExportSender) private readonly sender: ExportSender,
    @Inject(DataSourcesService) private readonly dataSources: DataSourcesService,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async share(orgId: string, listId: string, body: ShareListDto): Promise<{ exportId: string }> {
    const started = Date.now();
    const result = await this.runtime.transaction(async (manager, outbox) => {
      // taken before the first read, so a later share reads a snapshot at least as new
      const sharedAt = new Date().toISOString();
      const list = await this.lists.find(manager, orgId, listId);
      if (!list) throw Errors.notFound('list');
      const ds = await this.dataSources.resolve(manager, orgId, body.dataSource, outbox);
      if (!ds) throw Errors.unprocessable(`dataSource: ${body.dataSource} does not exist`);
      const matcher = matcherOf(ds);
      const exportId = newExportId();
      const segmentId = body.segmentId ?? null;
      const audienceName = body.audienceName ?? null;
      const target = await this.shares.lockTarget(manager, orgId, audienceIdOf({ orgId, dataSource: ds.name, segmentId, audienceName, listId: list.listId }));
      // only an incremental share on top of a share the audience received travels as a delta
      const base = body.mode === 'incremental' ? target.lastExportId : null;
      const steps = new StepTimer();
      await this.shares.openCurrent(manager);
      try {
        const resolved = await this.resolve(manager, orgId, list.listPk, matcher, steps);
        const writer = new ExportChunkWriter(
          manager,
          this.exports,
          orgId,
          {
            exportId,
            listId: list.listId,
            dataSource: ds.name,
            segmentId,
            audienceName,
            mode: body.mode,
            labels: list.labels,
            exportControls: ds.exportControls,
            dpid: ds.dpid,
            sharedAt,
            ...(base ? { base: { exportId: base } } : {}),
          },
          this.config.EXPORT_CHUNK_SIZE,
        );
        if (base) {
          for await (const page of pagesOf(this.shares.added(manager, target.targetPk), PAGE)) for (const r of page) await writer.add(r.identifier);
          for await (const page of pagesOf(this.shares.removed(manager, target.targetPk), PAGE)) for (const r of page) await writer.add(r.identifier, true);
        } else {
          for await (const page of pagesOf(this.shares.current(manager), PAGE)) for (const r of page) await writer.add(r.identifier);
        }
        const totals: ChunkTotals = {
          members: resolved.members,
          withIdentifier: resolved.withIdentifier,
          complement: resolved.members - resolved.blocked - resolved.withIdentifier,
          blocked: resolved.blocked,
          identifiers: resolved.identifiers,
          ...(base ? { added: writer.counts.added, removed: writer.counts.removed } : {}),
        };
        const chunks = await writer.finish(totals);
        steps.lap('chunks');
        await this.shares.advanceBaseline(manager, target.targetPk, exportId);
        steps.lap('baseline');
        await this.exports.insert(manager, { orgId, exportId, listId: list.listId, dataSource: ds.name, segmentId, audienceName, mode: body.mode, chunks, ...totals });
        return { exportId, chunks, base, ...totals, stepsMs: steps.laps };
      } finally {
        await this.shares.closeCurrent(manager);
      }
    });
    this.sender.wake();
    this.logger.info({ ...result, ms: Date.now() - started }, result.base ? 'list exported as a delta' : 'list exported');
    return { exportId: result.exportId };
  }

  /** The list's identifiers now, into the share's set: in SQL where it can, page by page in Node where it must (AES). */
  private async resolve(manager: EntityManager, orgId: string, listPk: string, matcher: Matcher, steps: StepTimer): Promise<Resolved> {
    const sql = identifierSql(orgId, matcher);
    if (sql) {
      const filled = await this.shares.fillCurrent(manager, listPk, sql);
      steps.lap('fill');
      const counts = await this.shares.memberCounts(manager, listPk);
      steps.lap('counts');
      return { ...counts, ...filled };
    }
    const out: Resolved = { members: 0, blocked: 0, withIdentifier: 0, identifiers: 0 };
    const columns = memberKeyColumns(matcher);
    let after = '0';
    for (;;) {
      const page = await this.exports.memberPage(manager, listPk, after, columns, PAGE);
      if (page.length === 0) return out;
      after = String(page[page.length - 1].rid);
      out.members += page.length;
      const eligible = page.filter((m) => Number(m.blocklisted) !== 1);
      out.blocked += page.length - eligible.length;
      const found = await identifiersOf(manager, orgId, matcher, eligible);
      out.withIdentifier += [...found.values()].filter((ids) => ids.length > 0).length;
      out.identifiers += await this.shares.addToCurrent(manager, [...found.values()].flat());
      steps.lap('resolve');
    }
  }

  /** Publication could not apply a delta: the next share of that audience carries the whole list, and the resync runner makes one. */
  async requestResync(manager: EntityManager, orgId: string, r: { audienceId: string; listId: string; dataSource: string; segmentId: string | null; audienceName: string | null }): Promise<void> {
    await this.shares.requestResync(manager, orgId, r.audienceId, r);
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
