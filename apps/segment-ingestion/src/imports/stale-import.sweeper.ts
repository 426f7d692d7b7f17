import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, LOGGER } from '@audx/platform';
import type { IngestionConfig } from '../config';
import { ImportsRepository } from './imports.repository';

/** Fails imports whose receiving process died (no heartbeat): they were never handed on. */
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
      const n = await this.imports.failStale(this.config.IMPORT_STALE_SECONDS);
      if (n) this.logger.warn({ count: n }, 'interrupted imports marked failed');
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'stale import sweep failed');
    }
  }
}
