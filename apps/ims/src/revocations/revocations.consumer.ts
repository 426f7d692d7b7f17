import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { Topics } from '@audx/contracts';
import { handlerFor } from '@audx/messaging';
import { LOGGER, Metrics, ServiceRuntime } from '@audx/platform';

/**
 * IMS's own group consumer of `ims.token.revoked`. Guards read the topic through per-process feeds
 * that can only skip a malformed message; this consumer is where such a message is dead-lettered
 * (to `ims.token.revoked.dlq`). A well-formed revocation that IMS never recorded means something
 * other than IMS writes to the topic: it is counted and logged.
 */
@Injectable()
export class RevocationsConsumer implements OnModuleInit {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const foreign = this.metrics.counter('audx_ims_foreign_revocations_total', 'Revocations on the topic that this IMS did not record');
    this.runtime.handle(
      handlerFor(Topics.imsTokenRevoked, async ({ manager, envelope }) => {
        const rows: unknown[] = await manager.query('SELECT 1 FROM revoked_tokens WHERE jti = ? LIMIT 1', [envelope.payload.jti]);
        if (rows.length === 0) {
          foreign.inc();
          this.logger.warn({ producer: envelope.producer, eventId: envelope.id }, 'a revocation on ims.token.revoked was not recorded by IMS');
        }
      }),
    );
  }
}
