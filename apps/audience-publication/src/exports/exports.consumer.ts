import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Topics } from '@audx/contracts';
import { handlerFor } from '@audx/messaging';
import { ServiceRuntime } from '@audx/platform';
import { ExportAssembler } from './export-assembler';
import { PublicationMetrics } from '../common/publication-metrics';
import { ExportQueueSignal } from './export-queue.signal';

/** Stages `list.exported` chunks (batch consumer, exactly-once per event id, idempotent per chunk). */
@Injectable()
export class ExportsConsumer implements OnModuleInit {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ExportAssembler) private readonly assembler: ExportAssembler,
    @Inject(ExportQueueSignal) private readonly signal: ExportQueueSignal,
    @Inject(PublicationMetrics) private readonly metrics: PublicationMetrics,
  ) {}

  onModuleInit(): void {
    this.runtime.handle(
      handlerFor(Topics.listExported, async ({ manager, envelope }) => {
        const outcome = await this.assembler.accept(manager, envelope);
        this.metrics.chunks.inc({ outcome });
        if (outcome === 'assembled') this.signal.assembled();
      }),
    );
  }
}
