import { DynamicModule, Global, Module } from '@nestjs/common';
import { RevocationsModule } from '../revocations/revocations.module';
import { KeyRetirement } from './key-retirement';
import { KeyStore } from './key-store';
import { KeysController } from './keys.controller';

/** Serves the JWKS and discovery; the KeyStore is built beside AuthModule, which verifies with it. */
@Global()
@Module({})
export class KeysModule {
  static forKeyStore(keyStore: KeyStore): DynamicModule {
    return {
      module: KeysModule,
      imports: [RevocationsModule],
      controllers: [KeysController],
      providers: [{ provide: KeyStore, useValue: keyStore }, KeyRetirement],
      exports: [KeyStore],
    };
  }
}
