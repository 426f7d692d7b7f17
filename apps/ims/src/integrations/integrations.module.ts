import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { RevocationsModule } from '../revocations/revocations.module';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsRepository } from './integrations.repository';
import { IntegrationsService } from './integrations.service';
import { SecretHasher } from './secret-hasher';

@Module({
  imports: [OrganizationsModule, RevocationsModule],
  controllers: [IntegrationsController],
  providers: [IntegrationsRepository, IntegrationsService, { provide: SecretHasher, useValue: new SecretHasher() }],
  exports: [IntegrationsRepository, SecretHasher],
})
export class IntegrationsModule {}
