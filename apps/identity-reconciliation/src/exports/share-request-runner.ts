import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { BackgroundLoop, isTransientError } from '@audx/messaging';
import { APP_CONFIG, DomainError, LOGGER, Metrics, ServiceRuntime, loggableError } from '@audx/platform';
import type { IdentityConfig } from '../config';
import { ExportsService } from './exports.service';
import { ShareRequest, ShareRequestsRepository } from './share-requests.repository';
import { ShareRequestSignal } from './share-request.signal';

const MAX_ATTEMPTS = 5;

interface Lane {
  /** Lists of at most SHARE_SMALL_MAX_MEMBERS members, or the others. */
  small: boolean;
  /** The org served last: the next pass serves the next org after it. */
  lastOrg: string;
  loop: BackgroundLoop;
}
const INTERNAL = 'the share could not be made; ask again, and tell the operator if it keeps failing';

/**
 * Makes the shares asked for, each in the transaction that deletes its request: the HTTP request
 * that asked never waits for the walk over the list, and a crash at any point leaves the request
 * to run again after restart. Two lanes run at once, by the list's size: a 30-member share never
 * waits behind another org's 5M-member one. In each lane orgs take turns (each org's oldest
 * request). Replicas share the work (a request another replica is making is skipped). A request
 * whose list or data source went away fails with that reason; any other error is retried, and
 * the request fails after MAX_ATTEMPTS with a generic reason (the cause is in the log).
 */
@Injectable()
export class ShareRequestRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly lanes: Lane[];
  private readonly outcomes;

  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ShareRequestsRepository) private readonly requests: ShareRequestsRepository,
    @Inject(ExportsService) private readonly exports: ExportsService,
    @Inject(ShareRequestSignal) signal: ShareRequestSignal,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.outcomes = metrics.counter('audx_share_requests_total', 'Share requests handled, by outcome', ['outcome']);
    metrics.gauge('audx_share_requests', 'Share requests waiting to be made, and failed ones kept for their clients', ['state'], async function () {
      const { waiting, failed } = await requests.count(runtime.dataSource.manager);
      this.set({ state: 'waiting' }, waiting);
      this.set({ state: 'failed' }, failed);
    });
    this.lanes = [true, false].map((small) => {
      const lane: Lane = { small, lastOrg: '', loop: new BackgroundLoop(() => this.pass(lane), { name: `${small ? 'small ' : ''}share request runner`, idleMs: 1000, logger }) };
      return lane;
    });
    signal.subscribe(() => this.lanes.forEach((l) => l.loop.wake(20)));
  }

  onApplicationBootstrap(): void {
    this.lanes.forEach((l) => l.loop.start());
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.loop.stop()));
  }

  /** One share of the next org in turn in the lane; true while others wait. */
  private async pass(lane: Lane): Promise<boolean> {
    const waiting = await this.requests.waitingByOrg(this.runtime.dataSource.manager, { small: lane.small, smallMax: this.config.SHARE_SMALL_MAX_MEMBERS });
    if (waiting.length === 0) return false;
    const next = waiting.find((r) => r.orgId > lane.lastOrg) ?? waiting[0];
    lane.lastOrg = next.orgId;
    await this.run(next);
    return true;
  }

  private async run(r: ShareRequest): Promise<void> {
    try {
      const made = await this.exports.shareNow(r.orgId, r.listId, r.body, {
        exportId: r.exportId,
        claim: (m) => this.requests.claim(m, r.requestPk),
        done: (m) => this.requests.remove(m, r.requestPk),
      });
      if (made) this.outcomes.inc({ outcome: 'shared' });
    } catch (err) {
      // the list or data source went away since the request: that is the answer, not a retry
      const final = err instanceof DomainError && err.status < 500;
      if (!final && isTransientError(err)) throw err; // the loop backs off; nothing counted
      const reason = final ? (err as DomainError).message : INTERNAL;
      const failed = await this.requests.failed(this.runtime.dataSource.manager, r.requestPk, reason, final, MAX_ATTEMPTS);
      this.logger[failed ? 'error' : 'warn']({ orgId: r.orgId, exportId: r.exportId, err: loggableError(err), failed }, failed ? 'a share could not be made' : 'making a share failed; will retry');
      if (failed) this.outcomes.inc({ outcome: 'failed' });
    }
  }
}
