import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { Topics } from '@audx/contracts';
import type { ConsumeContext } from '@audx/messaging';
import { ExportAssembler } from './export-assembler';
import { PublicationMetrics } from '../common/publication-metrics';
import { ExportQueueSignal } from './export-queue.signal';
import { ExportInboxRepository } from './export-inbox.repository';
import { ChunkStager } from './chunk-stager';

/**
 * Takes `list.exported` chunks (batch consumer, exactly-once per event id, idempotent per chunk). A
 * one-chunk export (a small share, a small delta) is staged at once; the chunks of a bigger one are
 * kept in the inbox with one insert each and staged by the ChunkStager, orgs in turn, so that a
 * 5M-member export never holds a partition (and the small shares behind it) for minutes.
 */
@Controller()
export class ExportsConsumer {
  constructor(
    @Inject(ExportAssembler) private readonly assembler: ExportAssembler,
    @Inject(ExportQueueSignal) private readonly signal: ExportQueueSignal,
    @Inject(PublicationMetrics) private readonly metrics: PublicationMetrics,
    @Inject(ExportInboxRepository) private readonly inbox: ExportInboxRepository,
    @Inject(ChunkStager) private readonly stager: ChunkStager,
  ) {}

  @EventPattern(Topics.listExported)
  async chunk(@Ctx() ctx: ConsumeContext<typeof Topics.listExported>): Promise<void> {
    const p = ctx.envelope.payload;
    if (!(p.seq === 0 && p.last)) {
      await this.inbox.accept(ctx.manager, ctx.envelope);
      this.stager.wake();
      return;
    }
    const outcome = await this.assembler.accept(ctx.manager, ctx.envelope);
    this.metrics.chunks.inc({ outcome });
    if (outcome === 'assembled') this.signal.assembled();
  }
}
