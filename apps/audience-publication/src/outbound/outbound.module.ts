import { Module } from '@nestjs/common';
import { APP_CONFIG } from '@audx/platform';
import type { PublicationConfig } from '../config';
import { OutboundFileWriter } from './outbound-file-writer';

@Module({
  providers: [{ provide: OutboundFileWriter, inject: [APP_CONFIG], useFactory: (config: PublicationConfig) => new OutboundFileWriter(config.OUTBOX_DIR) }],
  exports: [OutboundFileWriter],
})
export class OutboundModule {}
