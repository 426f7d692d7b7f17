import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Topics } from '@audx/contracts';
import { handlerFor } from '@audx/messaging';
import { ServiceRuntime } from '@audx/platform';
import { reconciliationOf } from './import-view';
import { ImportsRepository } from './imports.repository';

/** `segment.reconciled` ends the import: completed with the match figures, or failed with the reason. */
@Injectable()
export class ImportsConsumers implements OnModuleInit {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ImportsRepository) private readonly imports: ImportsRepository,
  ) {}

  onModuleInit(): void {
    this.runtime.handle(
      handlerFor(Topics.segmentReconciled, async ({ manager, envelope: { orgId, payload } }) => {
        if (payload.failure) await this.imports.markReconciliationFailed(manager, orgId, payload.importId, payload.failure.reason);
        else await this.imports.markCompleted(manager, orgId, payload.importId, reconciliationOf(payload));
      }),
    );
  }
}
