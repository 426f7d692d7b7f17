import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Envelope, ListExported } from '@audx/contracts';
import { BackgroundLoop, isTransientError } from '@audx/messaging';
import { LOGGER, Metrics, ServiceRuntime, loggableError } from '@audx/platform';
import { PublicationMetrics } from '../common/publication-metrics';
import { ExportAssembler } from './export-assembler';
import { ExportInboxRepository } from './export-inbox.repository';
import { ExportQueueSignal } from './export-queue.signal';

const MAX_ATTEMPTS = 5;

/**
 * Stages the chunks the consumer kept in `export_inbox`, one chunk per transaction (it leaves the
 * inbox in the transaction that stages it: a crash stages it again, never loses or doubles it),
 * orgs in turn: another org's export waits for one chunk of a 5M-member export at most. A chunk
 * that keeps failing is parked with its reason (the export then fails at its assembly timeout).
 */
@Injectable()
export class ChunkStager implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly loop: BackgroundLoop;
  private lastOrg = '';

  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ExportInboxRepository) private readonly inbox: ExportInboxRepository,
    @Inject(ExportAssembler) private readonly assembler: ExportAssembler,
    @Inject(ExportQueueSignal) private readonly signal: ExportQueueSignal,
    @Inject(PublicationMetrics) private readonly publication: PublicationMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    metrics.gauge('audx_export_inbox_chunks', 'Export chunks accepted and not staged yet: waiting for the stager, or parked after failing', ['state'], async function () {
      const { waiting, parked } = await inbox.counts(runtime.dataSource.manager);
      this.set({ state: 'waiting' }, waiting);
      this.set({ state: 'parked' }, parked);
    });
    this.loop = new BackgroundLoop(() => this.pass(), { name: 'chunk stager', idleMs: 200, logger });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  /** A chunk was kept (its transaction commits in a moment). */
  wake(): void {
    this.loop.wake(20);
  }

  /** Stages one chunk of the next org in turn; true while chunks remain. */
  private async pass(): Promise<boolean> {
    const manager = this.runtime.dataSource.manager;
    const orgs = await this.inbox.waitingOrgs(manager);
    if (orgs.length === 0) return false;
    const org = orgs.find((o) => o > this.lastOrg) ?? orgs[0];
    this.lastOrg = org;
    let takenId: string | null = null;
    try {
      const outcome = await this.runtime.dataSource.transaction(async (tx) => {
        const taken = await this.inbox.take(tx, org);
        if (!taken) return 'busy' as const;
        takenId = taken.id;
        const envelope = JSON.parse(taken.envelope) as Envelope<ListExported>; // validated by the consumer before it was kept
        const staged = await this.assembler.accept(tx, envelope);
        await this.inbox.remove(tx, taken.id);
        return staged;
      });
      if (outcome !== 'busy') this.publication.chunks.inc({ outcome });
      if (outcome === 'assembled') this.signal.assembled();
      return outcome !== 'busy';
    } catch (err) {
      if (takenId === null || isTransientError(err)) throw err; // backs off, counts nothing
      const reason = err instanceof Error ? err.message : String(err);
      const parked = await this.inbox.failed(manager, takenId, reason, MAX_ATTEMPTS);
      if (!parked) throw err;
      this.logger.error({ orgId: org, inboxId: takenId, err: loggableError(err) }, 'an export chunk could not be staged: parked');
      return true;
    }
  }
}
