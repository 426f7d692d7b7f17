import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { SegmentReconciled, Topics, reconciliationFailed } from '@audx/contracts';
import { BackgroundLoop, type OutboxWriter } from '@audx/messaging';
import { APP_CONFIG, LOGGER, Metrics, ServiceRuntime, StepTimer, holdForTest } from '@audx/platform';
import { ChangeLog } from '../changes/change-log';
import { retryOnDeadlock } from '../common/deadlock';
import { toJsonArray } from '../common/sql';
import type { IdentityConfig } from '../config';
import { ListsRepository } from '../lists/lists.repository';
import { ImportApplyRepository } from './import-apply.repository';
import { ImportRecord, ImportsRepository } from './imports.repository';
import { IdStatus, resolution } from './match-plan';

const PURGE_SLICE = 5000;
const MAX_ATTEMPTS = 5;
const ABANDONED = 'chunks missing: the sender stopped mid-import';

interface ListOutcome {
  listPk: string;
  listId: string;
  segmentId: string;
  size: number;
  added: number;
  removed: number;
}

/**
 * Applies a ready import in ONE transaction, so that it becomes visible all at once: takes the
 * recipients each identifier resolved to when its chunk was staged (`import_matches`), computes
 * each (list, recipient) change, writes it
 * only where the import's acceptance `sequence` is higher than the one stored on the membership
 * (last writer by acceptance order wins, whatever the arrival order), replaces `full` lists,
 * records the unmatched identifiers and writes `segment.reconciled` and `list.updated` to the
 * outbox. Runs outside the Kafka consumer, so that a long apply never stalls heartbeats; the
 * `ready` state is durable, so a crash at any point re-applies from scratch after restart.
 * Replicas share the work: an import another replica is applying is skipped, never waited for.
 */
@Injectable()
export class ImportApplier implements OnApplicationBootstrap, OnModuleDestroy {
  /** Big imports, and the housekeeping (abandon, purge). */
  private readonly loop: BackgroundLoop;
  /** Small imports (streamed memberships): never queued behind a big one's apply. */
  private readonly smallLoop: BackgroundLoop;
  private readonly failures = new Map<string, number>();
  private readonly applied;
  private readonly resolved;
  private readonly listWrites;

  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ImportsRepository) private readonly imports: ImportsRepository,
    @Inject(ListsRepository) private readonly lists: ListsRepository,
    @Inject(ImportApplyRepository) private readonly work: ImportApplyRepository,
    @Inject(ChangeLog) private readonly changes: ChangeLog,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.applied = metrics.counter('audx_imports_applied_total', 'Imports applied to lists');
    this.resolved = metrics.counter('audx_identifiers_resolved_total', 'Distinct identifiers of applied imports, by data source kind and outcome', ['kind', 'outcome']);
    this.listWrites = metrics.counter('audx_list_member_writes_total', 'List members added and removed by applied imports', ['op']);
    const backoffMs = () => config.IMPORT_APPLY_POLL_MS;
    this.loop = new BackgroundLoop(() => this.pass(), { name: 'import applier', idleMs: config.IMPORT_APPLY_POLL_MS, logger, backoffMs });
    this.smallLoop = new BackgroundLoop(() => this.applyReady(this.smallLoop, true), { name: 'small import applier', idleMs: config.IMPORT_APPLY_POLL_MS, logger, backoffMs });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
    this.smallLoop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.loop.stop(), this.smallLoop.stop()]);
  }

  /** Ask for a pass soon (a chunk just completed an import; its transaction commits in a moment). */
  wake(): void {
    this.loop.wake(20);
    this.smallLoop.wake(20);
  }

  private async applyReady(loop: BackgroundLoop, small: boolean): Promise<void> {
    for (const pk of await this.imports.ready(this.runtime.dataSource.manager, 20, { small, smallMax: this.config.IMPORT_SMALL_MAX_MEMBERS })) {
      if (loop.isStopped) return;
      await this.applyOrGiveUp(pk);
    }
  }

  private async pass(): Promise<void> {
    await this.applyReady(this.loop, false);
    if (!this.loop.isStopped) await this.abandonStale();
    if (!this.loop.isStopped) await this.purge();
    if (!this.loop.isStopped) await this.purgeReports();
  }

  /** Unmatched reports past their retention go, a slice per statement; the import's figures stay. */
  private async purgeReports(): Promise<void> {
    const manager = this.runtime.dataSource.manager;
    const before = new Date(Date.now() - this.config.IMPORT_REPORT_RETENTION_SECONDS * 1000);
    await this.inSlices(await this.imports.reportsToPurge(manager, before, 5), (pk) => this.imports.purgeReportSlice(manager, pk, PURGE_SLICE));
  }

  /** Abandons imports missing chunks, telling segment-ingestion in the same transaction. */
  private async abandonStale(): Promise<void> {
    const before = new Date(Date.now() - this.config.IMPORT_ABANDON_SECONDS * 1000);
    const n = await this.runtime.transaction(async (manager, outbox) => {
      const abandoned = await this.imports.abandonStale(manager, before, ABANDONED, 500);
      for (const imp of abandoned) outbox.add(Topics.segmentReconciled, imp.orgId, reconciliationFailed(imp.importId, ABANDONED));
      return abandoned.length;
    });
    if (n > 0) this.logger.warn({ abandoned: n, afterSeconds: this.config.IMPORT_ABANDON_SECONDS }, 'imports missing chunks abandoned');
  }

  /**
   * One import's failure must not hold back the others: it is retried on the next passes, and
   * after MAX_ATTEMPTS it is marked `failed` (with the error) and left for an operator.
   */
  private async applyOrGiveUp(importPk: string): Promise<void> {
    try {
      // two lanes apply at once: a deadlock between them is retried, not counted as a failure
      await retryOnDeadlock(() => this.apply(importPk), 5);
      this.failures.delete(importPk);
    } catch (err) {
      const attempts = (this.failures.get(importPk) ?? 0) + 1;
      this.failures.set(importPk, attempts);
      const message = err instanceof Error ? err.message : String(err);
      this.logger.error({ importPk, attempts, err: message }, 'applying an import failed');
      if (attempts >= MAX_ATTEMPTS) {
        await this.giveUp(importPk).catch((e: unknown) => this.logger.error({ importPk, err: String(e) }, 'marking an import failed failed'));
        this.failures.delete(importPk);
      }
    }
  }

  /** Marks the import failed and tells segment-ingestion, in one transaction (the cause is in the log, never in the import). */
  private async giveUp(importPk: string): Promise<void> {
    const reason = `the import could not be applied after ${MAX_ATTEMPTS} attempts`;
    await this.runtime.transaction(async (manager, outbox) => {
      const imp = await this.imports.markFailed(manager, importPk, reason);
      if (imp) outbox.add(Topics.segmentReconciled, imp.orgId, reconciliationFailed(imp.importId, reason));
    });
  }

  /** Applies one import if it is still ready and free to go; answers whether it did. */
  async apply(importPk: string): Promise<boolean> {
    const started = Date.now();
    // READ COMMITTED: a 1M-member apply's range updates must not gap-lock the neighbouring list's
    // rows, or a streamed membership of that list waits for the whole apply; imports of one list
    // never apply at once (the claim), so no read here relies on a repeatable snapshot
    const outcome = await this.runtime.transaction(async (manager, outbox) => {
      // null: applied meanwhile, another replica has it, or an earlier import of its lists goes first
      const imp = await this.imports.claim(manager, importPk);
      if (!imp) return null;
      try {
        return await this.applyLocked(manager, outbox, imp);
      } finally {
        await this.work.dropWorkTables(manager);
      }
    }, 'READ COMMITTED');
    if (!outcome) return false;
    this.applied.inc();
    const { report, steps, kind } = outcome;
    this.resolved.inc({ kind, outcome: 'matched' }, report.matched);
    this.resolved.inc({ kind, outcome: 'unmatched' }, report.unmatched);
    this.resolved.inc({ kind, outcome: 'invalid' }, report.invalid);
    this.listWrites.inc({ op: 'added' }, report.lists.reduce((n, l) => n + l.added, 0));
    this.listWrites.inc({ op: 'removed' }, report.lists.reduce((n, l) => n + l.removed, 0));
    this.logger.info({ importId: report.importId, matched: report.matched, unmatched: report.unmatched, invalid: report.invalid, ms: Date.now() - started, steps }, 'import applied');
    return true;
  }

  private async applyLocked(manager: EntityManager, outbox: OutboxWriter, imp: ImportRecord): Promise<{ report: SegmentReconciled; steps: Record<string, number>; kind: string }> {
    const S = imp.sequence;
    const steps = new StepTimer();
    await this.work.openListTable(manager);

    // 1. the identifiers of chunks staged without being resolved (by a version before chunks were
    //    resolved as they arrived), set-based like the stager does it
    const unresolved = await this.imports.unresolvedChunks(manager, imp.importPk);
    await this.work.resolveChunks(manager, imp.importPk, unresolved, resolution(imp.plan, imp.orgId, imp.importPk, unresolved));
    steps.lap('resolveMs');
    const resolvable = imp.plan.target !== 'none';

    // 2. the list of each segment, created on demand and locked; a list replaced by a later full import is left alone
    // (an import through a data source the org does not have creates no list: everything is unmatched)
    const segments = resolvable ? await this.work.segments(manager, imp.importPk) : [];
    const touched: { list: Awaited<ReturnType<ListsRepository['ensureImportList']>>; labels: string[]; skip: boolean }[] = [];
    for (const s of segments) {
      const list = await this.lists.ensureImportList(manager, imp.orgId, imp.dataSource, s.segmentId);
      const skip = S < list.replacedSequence;
      touched.push({ list, labels: toJsonArray(s.labels), skip });
      if (!skip) await this.work.writeTo(manager, s.segmentId, list.listPk);
    }

    // 3. adds then removes, straight from the join, where this import is the latest writer
    await this.work.writeMemberships(manager, imp.importPk, S);
    steps.lap('writeMs');

    // 4. full mode: whoever the file did not touch leaves the list, unless a later import put them there
    const written = touched.filter((t) => !t.skip);
    if (imp.mode === 'full') for (const t of written) await this.work.removeUntouched(manager, t.list.listPk, S);
    steps.lap('replaceMs');

    // 5. what changed: the rows whose presence this import flipped
    const byList = new Map<string, { added: number; removed: number }>();
    for (const t of written) byList.set(t.list.listPk, await this.work.changed(manager, t.list.listPk, S));
    const flipped = written.filter((t) => { const c = byList.get(t.list.listPk)!; return c.added + c.removed > 0; });
    this.changes.record(outbox, manager, imp.orgId, flipped.map((t) => ({ kind: 'import', listPk: t.list.listPk, sequence: S })));

    // tests wait for this line to know the apply transaction is open, its writes not committed
    const { NODE_ENV: nodeEnv, IMPORT_APPLY_TEST_DELAY_MS: ms, IMPORT_APPLY_TEST_DELAY_PREFIX: prefix } = this.config;
    await holdForTest({ nodeEnv, ms, prefix }, imp.importId, this.logger, 'test delay: holding the apply transaction open');

    const outcomes: ListOutcome[] = [];
    for (const t of touched) {
      const c = t.skip ? { added: 0, removed: 0 } : (byList.get(t.list.listPk) ?? { added: 0, removed: 0 });
      const size = await this.lists.updateAfterImport(manager, t.list.listPk, {
        sizeDelta: c.added - c.removed,
        // strictly later: labels set by segment.changed as of import S already supersede what S carried
        labels: !t.skip && S > t.list.labelsSequence ? t.labels : undefined,
        sequence: S,
        replaced: imp.mode === 'full' && !t.skip,
      });
      outcomes.push({ listPk: t.list.listPk, listId: t.list.listId, segmentId: t.list.segmentId!, size, ...c });
    }

    // 6. the report, in distinct identifiers: one to resolve either matched or is reported
    //    not_found (all its rows agree); the others are reported with their staged status
    const statuses = await this.work.distinctByStatus(manager, imp.importPk);
    const distinct = (st: number) => statuses.get(st) ?? 0;
    const notFound = await this.work.reportNotFound(manager, imp.importPk);
    if ([...statuses.keys()].some((st) => st !== IdStatus.pending)) await this.work.reportSetAside(manager, imp.importPk);
    const report: SegmentReconciled = {
      importId: imp.importId,
      matched: resolvable ? distinct(IdStatus.pending) - notFound : 0,
      unmatched: notFound + distinct(IdStatus.undecryptable) + distinct(IdStatus.unknownDataSource),
      invalid: distinct(IdStatus.invalid),
      lists: outcomes.map((o) => ({ listId: o.listId, segmentId: o.segmentId, size: o.size, added: o.added, removed: o.removed })),
    };
    await this.work.markApplied(manager, imp.importPk, report);
    outbox.add(Topics.segmentReconciled, imp.orgId, report);
    for (const o of outcomes) outbox.add(Topics.listUpdated, imp.orgId, { listId: o.listId, size: o.size, added: o.added, removed: o.removed, cause: 'import' });
    steps.lap('reportMs');
    // the data source's kind, a bounded label: a Visitor ID, a Declared ID, or no data source at all
    const kind = imp.plan.target === 'visitor' ? 'visitor' : imp.plan.target === 'none' ? 'unknown' : 'declared';
    return { report, steps: steps.laps, kind };
  }

  /** Deletes the staging rows of applied imports, a slice per statement (the report stays). */
  private async purge(): Promise<void> {
    const manager = this.runtime.dataSource.manager;
    await this.inSlices(await this.imports.toPurge(manager, 5), (pk) => this.imports.purgeSlice(manager, pk, PURGE_SLICE));
  }

  /** Deletes slice after slice of each import's rows, yielding to new work (a wake) or a stop. */
  private async inSlices(importPks: string[], deleteSlice: (importPk: string) => Promise<number>): Promise<void> {
    for (const pk of importPks) {
      while (!this.loop.isStopped && !this.loop.wakePending && (await deleteSlice(pk)) > 0) {
        /* next slice */
      }
      if (this.loop.isStopped || this.loop.wakePending) return;
    }
  }
}
