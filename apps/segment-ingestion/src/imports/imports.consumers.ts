import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { SegmentReconciled, Topics } from '@audx/contracts';
import type { ConsumeContext } from '@audx/messaging';
import { ImportMetrics } from './import-metrics';
import { reconciliationOf } from './import-view';
import { ImportsRepository } from './imports.repository';

/** `segment.reconciled` ends the import: completed with the match figures, or failed with the reason. */
@Controller()
export class ImportsConsumers {
  constructor(
    @Inject(ImportsRepository) private readonly imports: ImportsRepository,
    @Inject(ImportMetrics) private readonly metrics: ImportMetrics,
  ) {}

  @EventPattern(Topics.segmentReconciled)
  async reconciled(@Payload() payload: SegmentReconciled, @Ctx() ctx: ConsumeContext<typeof Topics.segmentReconciled>): Promise<void> {
    if (payload.failure) await this.imports.markReconciliationFailed(ctx.manager, ctx.orgId, payload.importId, payload.failure.reason);
    else {
      const reconciliation = reconciliationOf(payload);
      await this.imports.markCompleted(ctx.manager, ctx.orgId, payload.importId, reconciliation);
      this.metrics.completed(reconciliation.matchRate);
    }
  }
}
