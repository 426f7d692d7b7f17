import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { SegmentImported } from '@audx/contracts';
import { BackgroundLoop, isTransientError } from '@audx/messaging';
import { APP_CONFIG, LOGGER, Metrics, ServiceRuntime, holdForTest, loggableError } from '@audx/platform';
import type { IdentityConfig } from '../config';
import { ChunkInboxRepository } from './chunk-inbox.repository';
import { ImportApplier } from './import-applier';
import { ImportStager } from './import-stager';

const MAX_ATTEMPTS = 5;

/**
 * Stages the chunks the consumer accepted into `import_inbox`, one chunk per transaction (the
 * chunk leaves the inbox in the transaction that stages it: a crash re-stages it, never loses or
 * doubles it). Orgs are served in turn. Each chunk is resolved to recipients as it is staged,
 * unless more than IMPORT_RESOLVE_MAX_BACKLOG chunks wait: then the apply resolves the rest.
 */
@Injectable()
export class ChunkExpander implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly loop: BackgroundLoop;
  private lastOrg = '';

  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ChunkInboxRepository) private readonly inbox: ChunkInboxRepository,
    @Inject(ImportStager) private readonly stager: ImportStager,
    @Inject(ImportApplier) private readonly applier: ImportApplier,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    metrics.gauge('audx_import_inbox_chunks', 'Import chunks accepted and not staged yet: waiting for the expander, or parked after failing', ['state'], async function () {
      const { waiting, parked } = await inbox.counts(runtime.dataSource.manager);
      this.set({ state: 'waiting' }, waiting);
      this.set({ state: 'parked' }, parked);
    });
    this.loop = new BackgroundLoop(() => this.pass(), { name: 'chunk expander', idleMs: Math.min(100, config.IMPORT_APPLY_POLL_MS), logger });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  /** A chunk was accepted (its transaction commits in a moment). */
  wake(): void {
    this.loop.wake(20);
  }

  /** Stages one chunk of the next org in turn; true while chunks remain. */
  private async pass(): Promise<boolean> {
    const manager = this.runtime.dataSource.manager;
    const orgs = await this.inbox.waitingOrgs(manager);
    if (orgs.length === 0) return false;
    const org = orgs.find((o) => o.orgId > this.lastOrg) ?? orgs[0];
    this.lastOrg = org.orgId;
    const resolveNow = orgs.reduce((n, o) => n + o.waiting, 0) <= this.config.IMPORT_RESOLVE_MAX_BACKLOG;
    let takenId: string | null = null;
    try {
      const outcome = await this.runtime.transaction(async (tx, outbox) => {
        const taken = await this.inbox.take(tx, org.orgId);
        if (!taken) return 'busy';
        takenId = taken.id;
        const chunk = JSON.parse(taken.payload) as SegmentImported; // validated by the consumer before it was kept
        const { NODE_ENV: nodeEnv, IMPORT_EXPAND_TEST_DELAY_MS: ms, IMPORT_EXPAND_TEST_DELAY_PREFIX: prefix } = this.config;
        await holdForTest({ nodeEnv, ms, prefix }, chunk.importId, this.logger, 'test delay: holding a chunk expansion open');
        const staged = await this.stager.stage(tx, outbox, taken.orgId, chunk, resolveNow);
        await this.inbox.remove(tx, taken.id);
        return staged;
      });
      if (outcome === 'ready') this.applier.wake();
      return outcome !== 'busy';
    } catch (err) {
      if (takenId === null || isTransientError(err)) throw err; // backs off, counts nothing
      // retried on later passes (other orgs go first); parked after MAX_ATTEMPTS, with the reason
      const reason = err instanceof Error ? err.message : String(err);
      const parked = await this.inbox.failed(manager, takenId, reason, MAX_ATTEMPTS);
      if (!parked) throw err; // the loop backs off before the next attempt
      // the reason stays in the row for an operator; the log says only what kind of error it was
      this.logger.error({ orgId: org.orgId, inboxId: takenId, err: loggableError(err) }, 'an import chunk could not be staged: parked');
      return true;
    }
  }
}
