import { Module } from '@nestjs/common';
import { DataSourcesModule } from '../data-sources/data-sources.module';
import { ChunkExpander } from './chunk-expander';
import { ChunkInboxRepository } from './chunk-inbox.repository';
import { ChunkIntake } from './chunk-intake';
import { ImportApplier } from './import-applier';
import { ImportApplyRepository } from './import-apply.repository';
import { ImportStager } from './import-stager';
import { ImportsController } from './imports.controller';
import { ImportsService } from './imports.service';

@Module({
  imports: [DataSourcesModule],
  controllers: [ImportsController],
  providers: [ImportStager, ImportApplier, ImportApplyRepository, ImportsService, ChunkInboxRepository, ChunkExpander, ChunkIntake],
  exports: [ImportStager, ImportApplier, ChunkIntake],
})
export class ImportsModule {}
