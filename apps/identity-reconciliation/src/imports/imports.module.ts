import { Module } from '@nestjs/common';
import { DataSourcesModule } from '../data-sources/data-sources.module';
import { ImportApplier } from './import-applier';
import { ImportApplyRepository } from './import-apply.repository';
import { ImportStager } from './import-stager';
import { ImportsController } from './imports.controller';
import { ImportsService } from './imports.service';

@Module({
  imports: [DataSourcesModule],
  controllers: [ImportsController],
  providers: [ImportStager, ImportApplier, ImportApplyRepository, ImportsService],
  exports: [ImportStager, ImportApplier],
})
export class ImportsModule {}
