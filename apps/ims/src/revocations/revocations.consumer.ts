import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import { TokenRevoked, Topics } from '@audx/contracts';
import type { ConsumeContext } from '@audx/messaging';
import { LOGGER, Metrics } from '@audx/platform';

/**
 * IMS's own group consumer of `ims.token.revoked`. Guards read the topic through per-process feeds
 * that can only skip a malformed message; this consumer is where such a message is dead-lettered
 * (to `ims.token.revoked.dlq`). A well-formed revocation that IMS never recorded means something
 * other than IMS writes to the topic: it is counted and logged.
 */
@Controller()
export class RevocationsConsumer {
  private readonly foreign;

  constructor(
    @Inject(Metrics) metrics: Metrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.foreign = metrics.counter('audx_ims_foreign_revocations_total', 'Revocations on the topic that this IMS did not record');
  }

  @EventPattern(Topics.imsTokenRevoked)
  async revoked(@Payload() revocation: TokenRevoked, @Ctx() ctx: ConsumeContext<typeof Topics.imsTokenRevoked>): Promise<void> {
    const rows: unknown[] = await ctx.manager.query('SELECT 1 FROM revoked_tokens WHERE jti = ? LIMIT 1', [revocation.jti]);
    if (rows.length === 0) {
      this.foreign.inc();
      this.logger.warn({ producer: ctx.envelope.producer, eventId: ctx.envelope.id }, 'a revocation on ims.token.revoked was not recorded by IMS');
    }
  }
}
