import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule, AuthModule, DeadLettersModule } from '@audx/auth';
import { PlatformModule, ServiceRuntime } from '@audx/platform';
import type { IngestionConfig } from './config';
import { DataSourceReplica } from './data-sources/data-source-replica.repository';
import { DataSourcesConsumer } from './data-sources/data-sources.consumer';
import { ImportMetrics } from './imports/import-metrics';
import { ImportsConsumers } from './imports/imports.consumers';
import { ImportsController } from './imports/imports.controller';
import { ImportsRepository } from './imports/imports.repository';
import { ImportsService } from './imports/imports.service';
import { StaleImportSweeper } from './imports/stale-import.sweeper';
import { InboxWatcher } from './inbox/inbox.watcher';
import { MembershipBufferRepository } from './membership-stream/membership-buffer.repository';
import { MembershipStream } from './membership-stream/membership-stream';
import { MembershipStreamConsumer } from './membership-stream/membership-stream.consumer';
import { PoliciesController } from './policies/policies.controller';
import { PoliciesRepository } from './policies/policies.repository';
import { SegmentsController } from './segments/segments.controller';
import { SegmentsRepository } from './segments/segments.repository';

@Module({})
export class AppModule {
  static register(runtime: ServiceRuntime, config: IngestionConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRuntime(runtime, config), AuthModule.forRuntime(runtime, { imsUrl: config.IMS_URL }), AuditModule, DeadLettersModule],
      controllers: [ImportsController, SegmentsController, PoliciesController, ImportsConsumers, DataSourcesConsumer, MembershipStreamConsumer],
      providers: [
        ImportsRepository,
        ImportMetrics,
        SegmentsRepository,
        PoliciesRepository,
        DataSourceReplica,
        ImportsService,
        MembershipBufferRepository,
        MembershipStream,
        StaleImportSweeper,
        InboxWatcher,
      ],
    };
  }
}
