import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule, AuthModule, DeadLettersModule } from '@audx/auth';
import { PlatformModule, ServiceRuntime } from '@audx/platform';
import { AudiencesModule } from './audiences/audiences.module';
import type { PublicationConfig } from './config';
import { ExportsModule } from './exports/exports.module';
import { GovernanceModule } from './governance/governance.module';
import { PublishingModule } from './publishing/publishing.module';

@Module({})
export class AppModule {
  static register(runtime: ServiceRuntime, config: PublicationConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRuntime(runtime, config),
        AuthModule.forRuntime(runtime, { imsUrl: config.IMS_URL }),
        AuditModule,
        DeadLettersModule,
        GovernanceModule,
        ExportsModule,
        AudiencesModule,
        PublishingModule,
      ],
    };
  }
}
