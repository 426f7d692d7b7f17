import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { PolicyChanged, Topics } from '@audx/contracts';
import type { ConsumeContext } from '@audx/messaging';
import { PoliciesRepository } from './policies.repository';

/** Keeps the local replica of policies from `policy.changed` (the full record, or a deletion). */
@Controller()
export class PoliciesConsumer {
  constructor(@Inject(PoliciesRepository) private readonly policies: PoliciesRepository) {}

  @EventPattern(Topics.policyChanged)
  async changed(@Payload() { name, record, deleted }: PolicyChanged, @Ctx() ctx: ConsumeContext<typeof Topics.policyChanged>): Promise<void> {
    if (deleted || !record) return this.policies.remove(ctx.manager, ctx.orgId, name);
    await this.policies.upsert(ctx.manager, ctx.orgId, { name, ...record });
  }
}
