import { Module } from '@nestjs/common';
import { DataSourcesModule } from '../data-sources/data-sources.module';
import { ExportSender } from './export-sender';
import { ExportsRepository } from './exports.repository';
import { ExportsService } from './exports.service';
import { SharesController } from './shares.controller';

/** Shares: the snapshot of a list's identifiers and its streaming to `list.exported`. */
@Module({ imports: [DataSourcesModule], controllers: [SharesController], providers: [ExportsService, ExportsRepository, ExportSender], exports: [ExportsService] })
export class ExportsModule {}
