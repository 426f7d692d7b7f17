import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Topics } from '@audx/contracts';
import { handlerFor } from '@audx/messaging';
import { ServiceRuntime } from '@audx/platform';
import { ImportsRepository } from './imports.repository';

/** `segment.reconciled` completes the import with the match figures. */
@Injectable()
export class ImportsConsumers implements OnModuleInit {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ImportsRepository) private readonly imports: ImportsRepository,
  ) {}

  onModuleInit(): void {
    this.runtime.handle(
      handlerFor(Topics.segmentReconciled, async ({ manager, envelope }) => {
        const { importId, matched, unmatched, invalid, lists } = envelope.payload;
        const matchRate = matched + unmatched === 0 ? null : Math.round((matched / (matched + unmatched)) * 10000) / 10000;
        await this.imports.markCompleted(manager, envelope.orgId, importId, { matched, unmatched, invalid, matchRate, lists });
      }),
    );
  }
}
