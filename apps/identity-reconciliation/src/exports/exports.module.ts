import { Module } from '@nestjs/common';
import { DataSourcesModule } from '../data-sources/data-sources.module';
import { ExportSender } from './export-sender';
import { ExportsRepository } from './exports.repository';
import { ExportsService } from './exports.service';
import { ResyncRunner } from './resync-runner';
import { SharesController } from './shares.controller';
import { SharesRepository } from './shares.repository';

/** Shares: the delta or snapshot of a list's identifiers, its streaming to `list.exported`, and resyncs. */
@Module({
  imports: [DataSourcesModule],
  controllers: [SharesController],
  providers: [ExportsService, ExportsRepository, SharesRepository, ExportSender, ResyncRunner],
  exports: [ExportsService, ResyncRunner],
})
export class ExportsModule {}
