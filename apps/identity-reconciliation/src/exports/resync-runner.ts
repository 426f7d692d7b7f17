import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { BackgroundLoop } from '@audx/messaging';
import { DomainError, LOGGER, Metrics, ServiceRuntime } from '@audx/platform';
import { ExportsService } from './exports.service';
import { SharesRepository } from './shares.repository';

/**
 * Answers publication's resync requests: a share of the whole list for the audience whose delta
 * could not be applied (the request already made the audience's next share a full one). A request
 * whose list or data source is gone is dropped with a warning; any other failure is retried.
 */
@Injectable()
export class ResyncRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly loop: BackgroundLoop;
  private readonly resyncs;

  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(SharesRepository) private readonly shares: SharesRepository,
    @Inject(ExportsService) private readonly exports: ExportsService,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.resyncs = metrics.counter('audx_share_resyncs_total', 'Whole-list shares made because publication refused a delta', ['outcome']);
    this.loop = new BackgroundLoop(() => this.pass(), { name: 'resync runner', idleMs: 1000, logger });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  /** A resync request was just recorded (its transaction commits in a moment). */
  wake(): void {
    this.loop.wake(50);
  }

  private async pass(): Promise<void> {
    for (const r of await this.shares.pendingResyncs(this.runtime.dataSource.manager, 10)) {
      if (this.loop.isStopped) return;
      try {
        // made at once, not requested: the share clears the resync request in its own transaction
        const { exportId } = (await this.exports.shareNow(r.orgId, r.listId, { dataSource: r.dataSource, segmentId: r.segmentId, audienceName: r.audienceName, mode: 'incremental' }))!;
        this.resyncs.inc({ outcome: 'shared' });
        this.logger.info({ audienceId: r.audienceId, listId: r.listId, exportId }, 'audience resynced with the whole list');
      } catch (err) {
        if (!(err instanceof DomainError) || err.status >= 500) throw err;
        await this.shares.dropResync(this.runtime.dataSource.manager, r.targetPk);
        this.resyncs.inc({ outcome: 'dropped' });
        this.logger.warn({ audienceId: r.audienceId, listId: r.listId, reason: err.message }, 'resync dropped: the list or data source is gone');
      }
    }
  }
}
