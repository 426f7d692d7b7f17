import { Module } from '@nestjs/common';
import { OutboundModule } from '../outbound/outbound.module';
import { AudiencesController } from './audiences.controller';
import { AudiencesRepository } from './audiences.repository';
import { AudiencesService } from './audiences.service';
import { MembershipRepository } from './membership.repository';

@Module({
  imports: [OutboundModule],
  controllers: [AudiencesController],
  providers: [AudiencesRepository, MembershipRepository, AudiencesService],
  exports: [AudiencesRepository, MembershipRepository],
})
export class AudiencesModule {}
