import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule, AuthModule, DeadLettersModule } from '@audx/auth';
import { PlatformModule, ServiceRuntime } from '@audx/platform';
import type { IdentityConfig } from './config';
import { ChangesModule } from './changes/changes.module';
import { ConsumersModule } from './consumers';
import { DataSourcesModule } from './data-sources/data-sources.module';
import { ImportsModule } from './imports/imports.module';
import { ListsModule } from './lists/lists.module';
import { RecipientsModule } from './recipients/recipients.module';
import { StoreModule } from './store.module';
import { VisitorsModule } from './visitors/visitors.module';

@Module({})
export class AppModule {
  static register(runtime: ServiceRuntime, config: IdentityConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRuntime(runtime, config),
        AuthModule.forRuntime(runtime, { imsUrl: config.IMS_URL }),
        AuditModule,
        DeadLettersModule,
        StoreModule,
        ChangesModule,
        DataSourcesModule,
        RecipientsModule,
        VisitorsModule,
        ListsModule,
        ImportsModule,
        ConsumersModule,
      ],
    };
  }
}
