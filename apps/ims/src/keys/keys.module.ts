import { DynamicModule, Global, Module } from '@nestjs/common';
import { KeyStore } from './key-store';
import { KeysController } from './keys.controller';

/** Serves the JWKS and discovery; the KeyStore is built beside AuthModule, which verifies with it. */
@Global()
@Module({})
export class KeysModule {
  static forKeyStore(keyStore: KeyStore): DynamicModule {
    return {
      module: KeysModule,
      controllers: [KeysController],
      providers: [{ provide: KeyStore, useValue: keyStore }],
      exports: [KeyStore],
    };
  }
}
