import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { Topics } from '@audx/contracts';
import type { ConsumeContext } from '@audx/messaging';
import { ExportAssembler } from './export-assembler';
import { PublicationMetrics } from '../common/publication-metrics';
import { ExportQueueSignal } from './export-queue.signal';

/** Stages `list.exported` chunks (batch consumer, exactly-once per event id, idempotent per chunk). */
@Controller()
export class ExportsConsumer {
  constructor(
    @Inject(ExportAssembler) private readonly assembler: ExportAssembler,
    @Inject(ExportQueueSignal) private readonly signal: ExportQueueSignal,
    @Inject(PublicationMetrics) private readonly metrics: PublicationMetrics,
  ) {}

  @EventPattern(Topics.listExported)
  async chunk(@Ctx() ctx: ConsumeContext<typeof Topics.listExported>): Promise<void> {
    const outcome = await this.assembler.accept(ctx.manager, ctx.envelope);
    this.metrics.chunks.inc({ outcome });
    if (outcome === 'assembled') this.signal.assembled();
  }
}
