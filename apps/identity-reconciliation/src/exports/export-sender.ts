import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { Topics } from '@audx/contracts';
import { BackgroundLoop, EventProducer, SchemaLeader, unsendableReason } from '@audx/messaging';
import { LOGGER, Metrics, ServiceRuntime } from '@audx/platform';
import { ExportsRepository, SendingExport } from './exports.repository';

/** Chunks of one share sent per turn: a big share yields to every other share after this many bytes. */
const TURN_BYTES = 1024 * 1024;
const TURN_CHUNKS = 16;

/**
 * Sends the snapshotted `list.exported` chunks of every share, round robin: each pass gives each
 * share waiting (oldest first) one turn of at most ~1 MiB, so a 5M-member share of one org never
 * holds back another org's 30-member share by more than one turn. Progress is recorded after each
 * turn; a crash re-sends at most that turn, with the same event ids, which publication drops as
 * duplicates. One replica sends at a time (a schema lock), and no row lock is held while Kafka
 * answers. A chunk Kafka will never take parks its share with the reason.
 */
@Injectable()
export class ExportSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly loop: BackgroundLoop;
  private readonly leader: SchemaLeader;
  private readonly producer: EventProducer;
  private readonly chunksSent;
  private readonly parked;

  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ExportsRepository) private readonly exports: ExportsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.leader = new SchemaLeader(runtime.dataSource, 'export_sender');
    // its own producer: replacing it after a failure never cuts the outbox relay's sends short
    this.producer = new EventProducer(runtime.kafka, runtime.namer, 'identity-reconciliation', logger);
    this.chunksSent = metrics.counter('audx_export_chunks_sent_total', 'list.exported chunks sent to Kafka');
    this.parked = metrics.counter('audx_exports_parked_total', 'Shares stopped because Kafka refused a chunk');
    this.loop = new BackgroundLoop(() => this.pass(), { name: 'export sender', idleMs: 500, logger });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
    await this.leader.release();
    await this.producer.disconnect().catch(() => undefined);
  }

  /** A share was just committed. */
  wake(): void {
    this.loop.wake();
  }

  /** One round: a turn for each share waiting. Truthy while there is more to send. */
  private async pass(): Promise<boolean> {
    const db = await this.leader.acquire();
    if (!db) return false;
    let sent = 0;
    for (const share of await this.exports.sending(db.manager, 100)) {
      if (this.loop.isStopped) break;
      sent += await this.turn(db.manager, share);
    }
    return sent > 0;
  }

  private async turn(manager: EntityManager, share: SendingExport): Promise<number> {
    const chunks = await this.exports.chunksFrom(manager, share.orgId, share.exportId, share.chunksSent, TURN_CHUNKS, TURN_BYTES);
    if (chunks.length === 0) {
      await this.park(share, `chunk ${share.chunksSent} of ${share.chunks} is missing from the snapshot`);
      return 0;
    }
    try {
      await this.producer.sendRaw(chunks.map((c) => ({ topic: Topics.listExported, key: c.key, value: c.value })));
    } catch (err) {
      const reason = unsendableReason(err);
      if (!reason) throw err; // the broker is away: the loop backs off and this turn comes again
      await this.park(share, `kafka refused a chunk: ${reason}`);
      return 0;
    }
    const upTo = chunks[chunks.length - 1].seq + 1;
    await this.runtime.dataSource.transaction((m) => this.exports.chunksSent(m, share.orgId, share.exportId, share.chunksSent, upTo));
    this.chunksSent.inc(chunks.length);
    if (upTo >= share.chunks) this.logger.info({ exportId: share.exportId, chunks: share.chunks }, 'share sent');
    return chunks.length;
  }

  private async park(share: SendingExport, reason: string): Promise<void> {
    await this.runtime.dataSource.transaction((m) => this.exports.park(m, share.orgId, share.exportId, reason));
    this.parked.inc();
    this.logger.error({ exportId: share.exportId, orgId: share.orgId, reason }, 'share parked: its chunks cannot be sent');
  }
}
