import { Module } from '@nestjs/common';
import { DataSourcesModule } from '../data-sources/data-sources.module';
import { ExportSender } from './export-sender';
import { ExportsRepository } from './exports.repository';
import { ExportsService } from './exports.service';
import { ResyncRunner } from './resync-runner';
import { SyncRunner } from './sync-runner';
import { ShareRequestRunner } from './share-request-runner';
import { ShareRequestSignal } from './share-request.signal';
import { ShareRequestsRepository } from './share-requests.repository';
import { SharesController } from './shares.controller';
import { SharesRepository } from './shares.repository';

/** Shares: requested, then made in the background (the delta or snapshot of a list's identifiers), streamed to `list.exported`; resyncs. */
@Module({
  imports: [DataSourcesModule],
  controllers: [SharesController],
  providers: [ExportsService, ExportsRepository, SharesRepository, ExportSender, ResyncRunner, ShareRequestsRepository, ShareRequestSignal, ShareRequestRunner, SyncRunner],
  exports: [ExportsService, ResyncRunner, SharesRepository],
})
export class ExportsModule {}
