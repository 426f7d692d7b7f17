import { Module } from '@nestjs/common';
import { PoliciesConsumer } from './policies.consumer';
import { PoliciesRepository } from './policies.repository';

@Module({ providers: [PoliciesRepository, PoliciesConsumer], exports: [PoliciesRepository] })
export class GovernanceModule {}
