import { Module } from '@nestjs/common';
import { RevocationsConsumer } from './revocations.consumer';
import { RevocationsRepository } from './revocations.repository';
import { RevocationsService } from './revocations.service';

@Module({ providers: [RevocationsRepository, RevocationsService, RevocationsConsumer], exports: [RevocationsService] })
export class RevocationsModule {}
