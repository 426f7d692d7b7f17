import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { BackgroundLoop, type OutboxWriter } from '@audx/messaging';
import { APP_CONFIG, LOGGER, ServiceRuntime } from '@audx/platform';
import type { IdentityConfig } from '../config';
import { Change, ChangeLogRepository, OrgClock } from './change-log.repository';

const PRUNE_SLICE = 5000;

/**
 * Records what may have changed the identifiers lists export, so that a share recomputes only
 * those members. Changes are stamped with the org's clock at the end of the writer's transaction;
 * the clock row stays locked until that commit, so a clock value is committed only after every
 * change stamped up to it.
 */
@Injectable()
export class ChangeLog implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly pending = new WeakMap<OutboxWriter, Map<string, Change[]>>();
  private readonly pruner: BackgroundLoop;

  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ChangeLogRepository) private readonly repo: ChangeLogRepository,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.pruner = new BackgroundLoop(async () => void (await this.prune()), { name: 'share change pruner', idleMs: 3600_000, logger, backoffMs: () => 60_000 });
  }

  onApplicationBootstrap(): void {
    this.pruner.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.pruner.stop();
  }

  /** Logs changes of the org, stamped at the end of the transaction the outbox belongs to. */
  record(outbox: OutboxWriter, manager: EntityManager, orgId: string, changes: Change[]): void {
    if (changes.length === 0) return;
    let byOrg = this.pending.get(outbox);
    if (!byOrg) {
      const collected = new Map<string, Change[]>();
      byOrg = collected;
      this.pending.set(outbox, collected);
      outbox.beforeFlush(async () => {
        this.pending.delete(outbox);
        // one org at a time, in a fixed order: two writers never wait for each other's clocks
        for (const org of [...collected.keys()].sort()) {
          const clock = await this.repo.tick(manager, org);
          await this.repo.append(manager, org, clock, dedupe(collected.get(org)!));
        }
      });
    }
    const list = byOrg.get(orgId);
    if (list) list.push(...changes);
    else byOrg.set(orgId, [...changes]);
  }

  /**
   * The org's clock as committed now. Ticks take turns on the clock row until their commit, so
   * every change stamped up to the answer is committed: a READ COMMITTED reader sees all of them
   * (and perhaps newer state, which the next window covers again).
   */
  async committedClock(manager: EntityManager, orgId: string): Promise<OrgClock> {
    return this.repo.readClock(manager, orgId);
  }

  /** Forgets changes older than the retention; a share older than what was forgotten starts over. */
  async prune(): Promise<number> {
    const before = new Date(Date.now() - this.config.SHARE_CHANGE_RETENTION_SECONDS * 1000);
    let total = 0;
    for (const org of await this.repo.prunable(this.runtime.dataSource.manager, before)) {
      for (;;) {
        const n = await this.runtime.dataSource.transaction((m) => this.repo.prune(m, org.orgId, org.clock, PRUNE_SLICE));
        total += n;
        if (n < PRUNE_SLICE || this.pruner.isStopped) break;
      }
    }
    return total;
  }
}

/** The same recipient or list logged twice in a transaction is one change. */
function dedupe(changes: Change[]): Change[] {
  const seen = new Map<string, Change>();
  for (const c of changes) seen.set(JSON.stringify(c), c);
  return [...seen.values()];
}
