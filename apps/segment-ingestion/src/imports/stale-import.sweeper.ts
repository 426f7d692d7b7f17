import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, LOGGER } from '@audx/platform';
import type { IngestionConfig } from '../config';
import { ImportsRepository } from './imports.repository';

/** Ends imports whose receiving process died (no heartbeat): failed, or reconciling once their last chunk went. */
@Injectable()
export class StaleImportSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(ImportsRepository) private readonly imports: ImportsRepository,
    @Inject(APP_CONFIG) private readonly config: IngestionConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const every = Math.max(1000, (this.config.IMPORT_STALE_SECONDS * 1000) / 4);
    this.timer = setInterval(() => void this.sweep(), every);
    void this.sweep();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async sweep(): Promise<void> {
    try {
      // an import whose last chunk was being sent may be applied: reconciliation's answer ends it
      const handedOn = await this.imports.handOnStale(this.config.IMPORT_STALE_SECONDS);
      if (handedOn) this.logger.warn({ count: handedOn }, 'interrupted imports whose last chunk was sent left to reconciliation');
      const n = await this.imports.failStale(this.config.IMPORT_STALE_SECONDS);
      if (n) this.logger.warn({ count: n }, 'interrupted imports marked failed');
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'stale import sweep failed');
    }
  }
}
