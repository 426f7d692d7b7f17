import { Module } from '@nestjs/common';
import { AudiencesModule } from '../audiences/audiences.module';
import { ExportsModule } from '../exports/exports.module';
import { GovernanceModule } from '../governance/governance.module';
import { OutboundModule } from '../outbound/outbound.module';
import { FileClockRepository } from './file-clock.repository';
import { PublishExport } from './publish-export.usecase';
import { Publisher } from './publisher';
import { RollbackAudience } from './rollback-audience.usecase';
import { RollbackController } from './rollback.controller';
import { AudienceSyncController } from './audience-sync.controller';
import { VersionPruner } from './version-pruner';

@Module({
  imports: [ExportsModule, AudiencesModule, GovernanceModule, OutboundModule],
  controllers: [RollbackController, AudienceSyncController],
  providers: [FileClockRepository, PublishExport, VersionPruner, Publisher, RollbackAudience],
})
export class PublishingModule {}
