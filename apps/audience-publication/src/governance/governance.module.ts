import { Module } from '@nestjs/common';
import { PoliciesConsumer } from './policies.consumer';
import { PoliciesRepository } from './policies.repository';

@Module({ controllers: [PoliciesConsumer], providers: [PoliciesRepository], exports: [PoliciesRepository] })
export class GovernanceModule {}
