import { Module } from '@nestjs/common';
import { PublicationMetrics } from '../common/publication-metrics';
import { ExportAssembler } from './export-assembler';
import { ExportQueueSignal } from './export-queue.signal';
import { ExportsConsumer } from './exports.consumer';
import { ExportsController } from './exports.controller';
import { ExportsRepository } from './exports.repository';
import { ExportsService } from './exports.service';
import { ShareLookup } from './share-lookup';
import { ChunkStager } from './chunk-stager';
import { ExportInboxRepository } from './export-inbox.repository';

@Module({
  controllers: [ExportsController, ExportsConsumer],
  providers: [ExportsRepository, ExportAssembler, ExportQueueSignal, ExportsService, ShareLookup, PublicationMetrics, ExportInboxRepository, ChunkStager],
  exports: [ExportsRepository, ExportQueueSignal, PublicationMetrics, ShareLookup],
})
export class ExportsModule {}
