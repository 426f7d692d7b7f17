import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { BackgroundLoop } from '@audx/messaging';
import { LOGGER, ServiceRuntime } from '@audx/platform';
import { ListsRepository } from './lists.repository';

/** Members deleted per transaction: short statements, so that no writer waits long on a big list's purge. */
const SLICE = 10_000;

/** Deletes the members of deleted lists, a slice per transaction, oldest deletion first; survives restarts (the queue is a table). */
@Injectable()
export class ListPurger implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly loop: BackgroundLoop;

  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ListsRepository) private readonly lists: ListsRepository,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.loop = new BackgroundLoop(() => this.pass(), { name: 'list purger', idleMs: 30_000, logger });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  wake(): void {
    this.loop.wake(100);
  }

  /** One slice; true while there is more. */
  private async pass(): Promise<boolean> {
    const manager = this.runtime.dataSource.manager;
    const listPk = await this.lists.nextPurge(manager);
    if (listPk === null) return false;
    await this.runtime.dataSource.transaction((tx) => this.lists.purgeSlice(tx, listPk, SLICE));
    return true;
  }
}
