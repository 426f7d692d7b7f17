import { Module } from '@nestjs/common';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLettersRepository } from './dead-letters.repository';

/** `GET /v1/dead-letters` and its replay and discard, in every service that consumes Kafka. */
@Module({ controllers: [DeadLettersController], providers: [DeadLettersRepository] })
export class DeadLettersModule {}
