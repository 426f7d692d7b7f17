import { Global, Module } from '@nestjs/common';
import { ChangeLog } from './change-log';
import { ChangeLogRepository } from './change-log.repository';

/** The share change log, written by every feature that changes what a list exports. */
@Global()
@Module({
  providers: [ChangeLog, ChangeLogRepository],
  exports: [ChangeLog],
})
export class ChangesModule {}
