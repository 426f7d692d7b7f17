import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Topics } from '@audx/contracts';
import { handlerFor } from '@audx/messaging';
import { ServiceRuntime } from '@audx/platform';
import { PoliciesRepository } from './policies.repository';

/** Keeps the local replica of policies from `policy.changed` (the full record, or a deletion). */
@Injectable()
export class PoliciesConsumer implements OnModuleInit {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(PoliciesRepository) private readonly policies: PoliciesRepository,
  ) {}

  onModuleInit(): void {
    this.runtime.handle(
      handlerFor(Topics.policyChanged, async ({ manager, envelope }) => {
        const { name, record, deleted } = envelope.payload;
        if (deleted || !record) return this.policies.remove(manager, envelope.orgId, name);
        await this.policies.upsert(manager, envelope.orgId, { name, ...record });
      }),
    );
  }
}
