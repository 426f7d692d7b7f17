import { Module } from '@nestjs/common';
import { RevocationsConsumer } from './revocations.consumer';
import { RevocationsRepository } from './revocations.repository';
import { RevocationsService } from './revocations.service';

@Module({ controllers: [RevocationsConsumer], providers: [RevocationsRepository, RevocationsService], exports: [RevocationsService] })
export class RevocationsModule {}
