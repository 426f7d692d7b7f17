import { Inject, Injectable, MiddlewareConsumer, Module, NestModule, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { BackgroundLoop } from '@audx/messaging';
import { APP_CONFIG, BaseConfig, LOGGER } from '@audx/platform';
import { AuditController } from './audit.controller';
import { AuditRepository } from './audit.repository';
import { AuditTrailMiddleware } from './audit-trail.middleware';

/** Entries past AUDIT_RETENTION_DAYS go, a slice per statement, hourly. */
@Injectable()
class AuditRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly loop: BackgroundLoop;

  constructor(
    @Inject(AuditRepository) private readonly audit: AuditRepository,
    @Inject(APP_CONFIG) private readonly config: BaseConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.loop = new BackgroundLoop(() => this.pass(), { name: 'audit retention', idleMs: 3_600_000, logger });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  private async pass(): Promise<boolean> {
    const before = new Date(Date.now() - this.config.AUDIT_RETENTION_DAYS * 86_400_000);
    return (await this.audit.prune(before, 10_000)) === 10_000;
  }
}

/**
 * The audit trail of a service: records every state-changing call (the middleware; outside
 * producers' events are recorded by the batch consumer), answers `GET /v1/audit`, keeps entries
 * AUDIT_RETENTION_DAYS. Import it in the root module, next to AuthModule.
 */
@Module({ controllers: [AuditController], providers: [AuditRepository, AuditTrailMiddleware, AuditRetention] })
export class AuditModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AuditTrailMiddleware).forRoutes('*');
  }
}
