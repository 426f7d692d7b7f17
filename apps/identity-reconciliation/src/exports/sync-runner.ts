import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { BackgroundLoop } from '@audx/messaging';
import { DomainError, LOGGER, Metrics, ServiceRuntime } from '@audx/platform';
import { ExportsService } from './exports.service';
import { SharesRepository } from './shares.repository';

/**
 * Keeps audiences in sync with their lists. Once a change is logged after an audience's last share
 * (an import, an erasure, a blocklisting, a relink, a data source edited), the audience is due a
 * debounce later, so that the changes of that window travel as one delta; then an incremental
 * share is made, which publishes nothing when no identifier of the audience moved. A list or data
 * source gone turns the sync off, with a warning.
 */
@Injectable()
export class SyncRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly loop: BackgroundLoop;
  private readonly syncs;

  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(SharesRepository) private readonly shares: SharesRepository,
    @Inject(ExportsService) private readonly exports: ExportsService,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.syncs = metrics.counter('audx_audience_syncs_total', 'Shares of kept-in-sync audiences, by outcome', ['outcome']);
    this.loop = new BackgroundLoop(() => this.pass(), { name: 'sync runner', idleMs: 1000, logger });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  private async pass(): Promise<void> {
    const manager = this.runtime.dataSource.manager;
    await this.shares.markSyncDue(manager);
    for (const due of await this.shares.dueSyncs(manager, 10)) {
      if (this.loop.isStopped) return;
      try {
        const made = await this.exports.shareNow(due.orgId, due.listId, { dataSource: due.dataSource, segmentId: due.segmentId, audienceName: due.audienceName, mode: 'incremental' }, { onlyIfChanged: true });
        this.syncs.inc({ outcome: made ? 'shared' : 'unchanged' });
        if (made) this.logger.info({ audienceId: due.audienceId, listId: due.listId, exportId: made.exportId }, 'kept-in-sync audience shared its change');
      } catch (err) {
        if (!(err instanceof DomainError) || err.status >= 500) throw err;
        await this.runtime.dataSource.transaction((tx) => this.shares.setSync(tx, due.targetPk, false));
        this.syncs.inc({ outcome: 'stopped' });
        this.logger.warn({ audienceId: due.audienceId, listId: due.listId, reason: err.message }, 'audience no longer kept in sync: its list or data source is gone');
      }
    }
  }
}
