import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { Topics } from '@audx/contracts';
import { BATCH, type ConsumeContext } from '@audx/messaging';
import { MembershipBufferRepository } from './membership-buffer.repository';

/** `segment.membership` events are buffered a slice at a time; `MembershipStream` turns the buffer into imports. */
@Controller()
export class MembershipStreamConsumer {
  constructor(@Inject(MembershipBufferRepository) private readonly buffer: MembershipBufferRepository) {}

  @EventPattern(Topics.segmentMembership, BATCH)
  async observed(@Ctx() ctx: ConsumeContext<typeof Topics.segmentMembership>): Promise<void> {
    await this.buffer.append(ctx.manager, ctx.envelopes);
  }
}
