import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { ShareRecord, Topics, audienceIdOf } from '@audx/contracts';
import { APP_CONFIG, Errors, LOGGER, Metrics, ServiceRuntime, StepTimer, holdForTest } from '@audx/platform';
import type { Histogram } from 'prom-client';
import { ChangeLog } from '../changes/change-log';
import type { OrgClock } from '../changes/change-log.repository';
import { newExportId } from '../common/ids';
import type { IdentityConfig } from '../config';
import { Matcher, matcherOf } from '../data-sources/data-source';
import { DataSourcesService } from '../data-sources/data-sources.service';
import type { ShareListDto } from '../lists/lists.dto';
import { ListsRepository } from '../lists/lists.repository';
import { ExportChunkWriter, type ChunkTotals } from './export-chunk-writer';
import { ExportSender } from './export-sender';
import { ExportsRepository } from './exports.repository';
import { ShareRequestsRepository } from './share-requests.repository';
import { ShareRequestSignal } from './share-request.signal';
import { identifierSql, identifiersOf, memberKeyColumns } from './identifier-resolver';
import { MemberContribution, SHARE_CANDIDATES, ShareCounts, ShareScope, ShareTarget, SharesRepository, SyncState, pagesOf } from './shares.repository';

const PAGE = 5000;

function syncView(s: SyncState) {
  return { audienceId: s.audienceId, enabled: s.enabled, debounceSeconds: s.debounceSeconds, listId: s.listId, lastExportId: s.lastExportId, dueAt: s.dueAt };
}

/** A change to at most this many members (or a quarter of the list) is recomputed member by member. */
const RECOMPUTE_ALL_ABOVE = 10000;

/**
 * "Update shared audience", in ONE transaction (all or nothing). The audience keeps what each
 * member contributed at its last share; a share recomputes only the members the change log says
 * may have changed since (or all of them, for a first share or a change to most of the list), in
 * SQL or page by page in Node for encrypted identifiers, and moves the audience's identifiers by
 * the difference. An incremental share of an audience that already received one ships only that
 * difference (added and removed, with the base export); anything else ships every identifier the
 * audience holds. Chunks are snapshotted, never put in the outbox: `ExportSender` streams them to
 * Kafka after the commit. Memory stays flat whatever the list size.
 */
@Injectable()
export class ExportsService {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ListsRepository) private readonly lists: ListsRepository,
    @Inject(ExportsRepository) private readonly exports: ExportsRepository,
    @Inject(SharesRepository) private readonly shares: SharesRepository,
    @Inject(ShareRequestsRepository) private readonly requests: ShareRequestsRepository,
    @Inject(ShareRequestSignal) private readonly signal: ShareRequestSignal,
    @Inject(ExportSender) private readonly sender: ExportSender,
    @Inject(ChangeLog) private readonly changes: ChangeLog,
    @Inject(DataSourcesService) private readonly dataSources: DataSourcesService,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.shareSeconds = metrics.histogram('audx_share_seconds', 'Time to make a share (recompute, difference, chunks, commit), as a delta or whole', ['kind'], [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]);
  }

  private readonly shareSeconds: Histogram<'kind'>;

  /**
   * `POST /v1/lists/{id}/share`: checks what can be refused at once (404 list, 422 data source),
   * records the request and answers its export id; the ShareRequestRunner makes the share.
   */
  async share(orgId: string, listId: string, body: ShareListDto): Promise<{ exportId: string }> {
    const exportId = newExportId();
    await this.runtime.transaction(async (manager, outbox) => {
      if (!(await this.lists.find(manager, orgId, listId))) throw Errors.notFound('list');
      if (!(await this.dataSources.resolve(manager, orgId, body.dataSource, outbox))) throw Errors.unprocessable(`dataSource: ${body.dataSource} does not exist`);
      await this.requests.add(manager, { orgId, exportId, listId, body });
    });
    this.signal.requested();
    return { exportId };
  }

  /**
   * Makes a share now, in ONE transaction. `claim` runs first in it (false: another replica makes
   * this share, nothing is done) and `done` last (the request leaves with the commit).
   */
  async shareNow(
    orgId: string,
    listId: string,
    body: ShareListDto,
    request: { exportId?: string; claim?: (m: EntityManager) => Promise<boolean>; done?: (m: EntityManager) => Promise<void>; onlyIfChanged?: boolean } = {},
  ): Promise<{ exportId: string } | null> {
    const started = Date.now();
    const result = await this.runtime.transaction(async (manager, outbox) => {
      if (request.claim && !(await request.claim(manager))) return null;
      // READ COMMITTED: the whole-list reads take no row locks (writers of the list go on), and
      // every change up to this clock is visible to them
      const clock = await this.changes.committedClock(manager, orgId);
      const sharedAt = new Date().toISOString();
      const list = await this.lists.find(manager, orgId, listId);
      if (!list) throw Errors.notFound('list');
      const ds = await this.dataSources.resolve(manager, orgId, body.dataSource, outbox);
      if (!ds) throw Errors.unprocessable(`dataSource: ${body.dataSource} does not exist`);
      const matcher = matcherOf(ds);
      const { NODE_ENV: nodeEnv, SHARE_TEST_DELAY_MS: ms, SHARE_TEST_DELAY_PREFIX: prefix } = this.config;
      await holdForTest({ nodeEnv, ms, prefix }, list.name, this.logger, 'test delay: holding a share transaction open');
      const exportId = request.exportId ?? newExportId();
      const segmentId = body.segmentId ?? null;
      const audienceName = body.audienceName ?? null;
      const target = await this.shares.lockTarget(manager, orgId, audienceIdOf({ orgId, dataSource: ds.name, segmentId, audienceName, listId: list.listId }));
      // only an incremental share on top of a share the audience received travels as a delta
      const base = body.mode === 'incremental' ? target.lastExportId : null;
      const steps = new StepTimer();
      await this.shares.openWork(manager);
      try {
        const scope = await this.scopeOf(manager, orgId, list.listPk, target, clock);
        steps.lap('scope');
        await this.recompute(manager, orgId, list.listPk, matcher, scope, steps);
        // an audience that held nothing takes the contributions as they are: there is no difference to take
        const heldNothing = target.counts.members === 0;
        let counts: ShareCounts;
        if (heldNothing) {
          counts = await this.shares.holdAll(manager, target.targetPk);
          steps.lap('hold');
        } else {
          counts = await this.shares.diff(manager, target.targetPk, scope, target.counts);
          steps.lap('diff');
          await this.shares.apply(manager, target.targetPk, scope);
          steps.lap('apply');
        }
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
        if (base && !heldNothing) {
          for await (const page of pagesOf(this.shares.added(manager), PAGE)) for (const r of page) await writer.add(r.identifier);
          for await (const page of pagesOf(this.shares.removed(manager), PAGE)) for (const r of page) await writer.add(r.identifier, true);
        } else {
          // everything the audience holds: all of it added, for a delta on top of an empty audience
          for await (const page of pagesOf(this.shares.held(manager, target.targetPk), PAGE)) for (const r of page) await writer.add(r.identifier);
        }
        const shared = { listId: list.listId, dataSource: ds.name, segmentId, audienceName };
        // a kept-in-sync audience whose identifiers did not move publishes nothing: no empty versions
        if (request.onlyIfChanged && base && !heldNothing && writer.counts.added === 0 && writer.counts.removed === 0) {
          await this.shares.saveTarget(manager, target.targetPk, base, clock.clock, counts, shared);
          if (request.done) await request.done(manager);
          return null;
        }
        const totals: ChunkTotals = {
          members: counts.members,
          withIdentifier: counts.withIdentifier,
          complement: counts.members - counts.blocked - counts.withIdentifier,
          blocked: counts.blocked,
          identifiers: counts.identifiers,
          ...(base ? { added: writer.counts.added, removed: writer.counts.removed } : {}),
        };
        const chunks = await writer.finish(totals);
        steps.lap('chunks');
        await this.shares.saveTarget(manager, target.targetPk, exportId, clock.clock, counts, shared);
        if (body.keepInSync !== undefined) await this.shares.setSync(manager, target.targetPk, body.keepInSync, body.debounceSeconds);
        await this.exports.insert(manager, { orgId, exportId, listId: list.listId, dataSource: ds.name, segmentId, audienceName, mode: body.mode, chunks, ...totals });
        if (request.done) await request.done(manager);
        return { exportId, chunks, base, scope, ...totals, stepsMs: steps.laps };
      } finally {
        await this.shares.closeWork(manager);
      }
    }, 'READ COMMITTED');
    if (!result) return null;
    this.sender.wake();
    this.shareSeconds.observe({ kind: result.base ? 'delta' : 'whole' }, (Date.now() - started) / 1000);
    this.logger.info({ ...result, ms: Date.now() - started }, result.base ? 'list exported as a delta' : 'list exported');
    return { exportId: result.exportId };
  }

  /**
   * Only the members whose contribution may have changed since the audience's last share, when
   * the change log still covers that share and the change is not most of the list; else all.
   */
  private async scopeOf(manager: EntityManager, orgId: string, listPk: string, target: ShareTarget, clock: OrgClock): Promise<ShareScope> {
    if (target.clock === null || target.clock < clock.prunedClock) return 'all';
    const candidates = await this.shares.collectCandidates(manager, orgId, listPk, target.clock, clock.clock);
    // read again after the window: a prune that removed part of it is visible by now
    if ((await this.changes.committedClock(manager, orgId)).prunedClock > target.clock) return 'all';
    if (candidates === null || candidates > Math.max(RECOMPUTE_ALL_ABOVE, target.counts.members / 4)) return 'all';
    return 'changed';
  }

  /** The contributions now of the members in scope: in SQL where it can, page by page in Node where it must (AES). */
  private async recompute(manager: EntityManager, orgId: string, listPk: string, matcher: Matcher, scope: ShareScope, steps: StepTimer): Promise<void> {
    const sql = identifierSql(orgId, matcher);
    if (sql) {
      await this.shares.fillNow(manager, listPk, sql, scope);
      steps.lap('fill');
      return;
    }
    const columns = memberKeyColumns(matcher);
    let after = '0';
    for (;;) {
      const page = await this.exports.memberPage(manager, listPk, after, columns, PAGE, scope === 'changed' ? SHARE_CANDIDATES : null);
      if (page.length === 0) break;
      after = String(page[page.length - 1].rid);
      const eligible = page.filter((m) => Number(m.blocklisted) !== 1);
      const found = await identifiersOf(manager, orgId, matcher, eligible);
      await this.shares.addNow(
        manager,
        page.flatMap((m): MemberContribution[] => {
          if (Number(m.blocklisted) === 1) return [{ rid: String(m.rid), state: 2, identifier: null }];
          const ids = found.get(String(m.rid)) ?? [];
          return ids.length === 0 ? [{ rid: String(m.rid), state: 0, identifier: null }] : ids.map((identifier) => ({ rid: String(m.rid), state: 1, identifier }));
        }),
      );
    }
    steps.lap('fill');
  }

  /**
   * `POST /v1/shares/{exportId}/complement`: a new list of the members the share reached without
   * an identifier (not the blocklisted), so a workflow can reach them another way. Exact for the
   * audience's latest share only (what the audience holds is that share's account): an export its
   * audience was shared again since answers 409, and so does a share not made yet.
   */
  async complement(orgId: string, exportId: string): Promise<{ listId: string; name: string; size: number; exportId: string }> {
    return this.runtime.transaction(async (manager, outbox) => {
      const made = exportId.length <= 40 ? await this.exports.find(manager, orgId, exportId) : null;
      if (!made) {
        if (exportId.length <= 40 && (await this.requests.find(manager, orgId, exportId))) throw Errors.conflict('the share is not made yet; ask for its complement once it is');
        throw Errors.notFound('export');
      }
      const targetPk = await this.shares.targetOfLatest(manager, orgId, exportId);
      if (!targetPk) throw Errors.conflict('the audience of this export was shared again since: ask for the complement of its latest export');
      const source = await this.lists.find(manager, orgId, made.list_id);
      // the members come from that list: its labels restrict what may be done with them too
      const list = await this.lists.create(manager, orgId, { name: `complement of ${exportId}`, origin: 'complement', labels: source?.labels ?? [] });
      await this.shares.addComplement(manager, list.listPk, targetPk);
      const size = await this.lists.recount(manager, list.listPk);
      this.changes.record(outbox, manager, orgId, [{ kind: 'list', listPk: list.listPk }]);
      outbox.add(Topics.listUpdated, orgId, { listId: list.listId, size, added: size, removed: 0, cause: 'created' });
      return { listId: list.listId, name: list.name, size, exportId };
    });
  }

  /** Whether the audience is kept in sync with its list, and with what debounce. */
  async syncOf(orgId: string, audienceId: string) {
    const state = audienceId.length <= 191 ? await this.shares.syncState(this.runtime.dataSource.manager, orgId, audienceId) : null;
    if (!state) throw Errors.notFound('audience');
    return syncView(state);
  }

  /** `PUT /v1/audiences/{id}/sync`: on (from the next change of its list) or off. */
  async setSync(orgId: string, audienceId: string, body: { enabled: boolean; debounceSeconds?: number }) {
    return this.runtime.transaction(async (manager) => {
      const state = audienceId.length <= 191 ? await this.shares.syncState(manager, orgId, audienceId, true) : null;
      if (!state) throw Errors.notFound('audience');
      if (body.enabled && !state.listId) throw Errors.conflict('this audience has not been shared since syncs began: share its list once, then turn the sync on');
      await this.shares.setSync(manager, state.targetPk, body.enabled, body.debounceSeconds);
      return syncView((await this.shares.syncState(manager, orgId, audienceId))!);
    });
  }

  /** Publication could not apply a delta: the next share of that audience carries the whole list, and the resync runner makes one. */
  async requestResync(manager: EntityManager, orgId: string, r: { audienceId: string; listId: string; dataSource: string; segmentId: string | null; audienceName: string | null }): Promise<void> {
    await this.shares.requestResync(manager, orgId, r.audienceId, r);
  }

  /** One share of the org (audience-publication asks, to tell "not arrived yet" from "no such export"). */
  async find(orgId: string, exportId: string): Promise<ShareRecord> {
    if (exportId.length > 40) throw Errors.notFound('export');
    const manager = this.runtime.dataSource.manager;
    const r = await this.exports.find(manager, orgId, exportId);
    if (!r) return this.requested(orgId, exportId);
    return {
      status: 'emitted',
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

  /** A share asked for and not made yet ('preparing'), or that could not be made ('failed', with the reason). */
  private async requested(orgId: string, exportId: string): Promise<ShareRecord> {
    const q = await this.requests.find(this.runtime.dataSource.manager, orgId, exportId);
    if (!q) throw Errors.notFound('export');
    return {
      status: q.failedReason ? 'failed' : 'preparing',
      ...(q.failedReason ? { failure: q.failedReason } : {}),
      exportId,
      listId: q.listId,
      dataSource: q.body.dataSource,
      segmentId: q.body.segmentId ?? null,
      audienceName: q.body.audienceName ?? null,
      mode: q.body.mode,
      chunks: 0,
      members: 0,
      withIdentifier: 0,
      complement: 0,
      blocked: 0,
      createdAt: q.createdAt.toISOString(),
    };
  }
}
