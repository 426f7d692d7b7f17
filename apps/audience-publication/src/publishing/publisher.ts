import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BackgroundLoop } from '@audx/messaging';
import { APP_CONFIG, LOGGER } from '@audx/platform';
import type { Logger } from 'pino';
import type { PublicationConfig } from '../config';
import { ExportQueueSignal } from '../exports/export-queue.signal';
import { ExportsRepository } from '../exports/exports.repository';
import { PublishExport, PublishOutcome } from './publish-export.usecase';
import { VersionPruner } from './version-pruner';

/** What an export shows while its publication fails and is retried. */
export const PUBLICATION_RETRYING = 'publishing failed and is being retried (a database or file failure, logged with the export)';
/** How often audiences are checked for versions a crashed publication left unpruned. */
const PRUNE_SWEEP_MS = 60_000;

/**
 * The publication workers of this process: take assembled exports oldest first (the exports table
 * is the queue, so nothing is lost across a crash), publish each, then clear its staging rows
 * and prune old versions. Two lanes run at once, by the export's size, so that a 30-member share
 * never waits behind another audience's 5M-member publication; the big lane also does the
 * housekeeping. Runs outside the Kafka consumer, so a long publication never stalls a partition
 * or misses a heartbeat.
 */
@Injectable()
export class Publisher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly loop: BackgroundLoop;
  /** Small exports: never queued behind a big publication. */
  private readonly smallLoop: BackgroundLoop;
  private readonly failures = new Map<number, { count: number; retryAt: number }>();
  private nextPruneSweep = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: PublicationConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ExportsRepository) private readonly exports: ExportsRepository,
    @Inject(PublishExport) private readonly publishExport: PublishExport,
    @Inject(VersionPruner) private readonly pruner: VersionPruner,
    @Inject(ExportQueueSignal) signal: ExportQueueSignal,
  ) {
    const options = { idleMs: config.PUBLICATION_POLL_MS, logger, backoffMs: () => config.PUBLICATION_POLL_MS };
    this.loop = new BackgroundLoop(() => this.pass(), { name: 'publisher', ...options });
    this.smallLoop = new BackgroundLoop(() => this.publishQueued(this.smallLoop, true), { name: 'small publisher', ...options });
    signal.subscribe(() => this.wake());
  }

  onApplicationBootstrap(): void {
    this.loop.start();
    this.smallLoop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.loop.stop(), this.smallLoop.stop()]);
  }

  wake(): void {
    this.loop.wake();
    this.smallLoop.wake();
  }

  /** One sweep of the big lane's queue, then of finished exports whose staging is still there. */
  async pass(): Promise<void> {
    await this.publishQueued(this.loop, false);
    if (this.loop.isStopped) return;
    const abandoned = await this.exports.failIncomplete(this.config.EXPORT_ASSEMBLY_TIMEOUT_SECONDS);
    if (abandoned > 0) this.logger.warn({ exports: abandoned }, 'exports failed: chunks missing past the assembly timeout');
    for (const exportPk of await this.exports.needingCleanup(20)) {
      if (this.loop.isStopped) return;
      await this.exports.clearStaging(exportPk);
    }
    if (Date.now() >= this.nextPruneSweep) {
      this.nextPruneSweep = Date.now() + PRUNE_SWEEP_MS;
      await this.pruner.sweep();
    }
  }

  /** One sweep of a lane's queue. */
  private async publishQueued(loop: BackgroundLoop, small: boolean): Promise<void> {
    // versions of one audience follow the order its exports were assembled in: an export waiting
    // for a retry holds back the later exports of its audience
    const heldBack = new Set<string>();
    for (const { exportPk, orgId, audienceId } of await this.exports.queue(50, { small, smallMax: this.config.PUBLICATION_SMALL_MAX_IDENTIFIERS })) {
      if (loop.isStopped) return;
      const audience = `${orgId}/${audienceId}`;
      if (heldBack.has(audience)) continue;
      const failure = this.failures.get(exportPk);
      if (failure && failure.retryAt > Date.now()) {
        heldBack.add(audience);
        continue;
      }
      let outcome: PublishOutcome;
      try {
        outcome = await this.publishExport.run(exportPk);
        this.failures.delete(exportPk);
        if (outcome === 'busy') heldBack.add(audience);
      } catch (err) {
        heldBack.add(audience);
        const count = (failure?.count ?? 0) + 1;
        this.failures.set(exportPk, { count, retryAt: Date.now() + Math.min(60_000, 500 * 2 ** count) });
        const message = err instanceof Error ? err.message : String(err);
        this.logger.error({ exportPk, attempt: count, err: message }, 'publication failed; will retry');
        // GET /v1/exports shows this: a stable sentence, never the driver's message (logged above)
        await this.exports.noteError(exportPk, PUBLICATION_RETRYING).catch(() => undefined);
        continue;
      }
      // housekeeping of a finished export: a failure here is not a publication failure (the sweeps below retry it)
      if (outcome === 'published' || outcome === 'rejected' || outcome === 'superseded' || outcome === 'refused') {
        await this.afterwards(exportPk).catch((err: unknown) => this.logger.warn({ exportPk, err: String(err) }, 'cleanup after publication failed; retried by the sweep'));
      }
    }
  }

  private async afterwards(exportPk: number): Promise<void> {
    await this.exports.clearStaging(exportPk);
    const e = await this.exports.byPk(exportPk);
    if (e?.status === 'published' && e.audiencePk !== null && e.version !== null) await this.pruner.prune(e.orgId, e.audiencePk, e.version);
  }
}
