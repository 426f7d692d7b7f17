import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule, AuthModule, DeadLettersModule } from '@audx/auth';
import { PlatformModule, ServiceRuntime } from '@audx/platform';
import { AtRestCipher } from '@audx/persistence';
import { ImsConfig, issuerOf } from './config';
import { IntegrationsModule } from './integrations/integrations.module';
import { KeyStore } from './keys/key-store';
import { KeysModule } from './keys/keys.module';
import { SigningKeysRepository } from './keys/signing-keys.repository';
import { OrganizationsModule } from './organizations/organizations.module';
import { RevocationsModule } from './revocations/revocations.module';
import { TokensModule } from './tokens/tokens.module';

/** Seconds of clock skew and verifier tolerance a replaced key stays published beyond its tokens' lifetime. */
const KEY_GRACE_MS = 120_000;

@Module({})
export class AppModule {
  static register(runtime: ServiceRuntime, config: ImsConfig): DynamicModule {
    // IMS verifies its own tokens with its key store (no HTTP round trip to itself).
    const keyStore = new KeyStore(
      new SigningKeysRepository(runtime.dataSource),
      AtRestCipher.fromKeyMaterial(config.IMS_KEY_ENCRYPTION_KEY),
      {
        tokenTtlMs: config.IMS_TOKEN_TTL_SECONDS * 1000,
        maxAgeMs: config.IMS_KEY_MAX_AGE_SECONDS * 1000,
        leadMs: config.IMS_KEY_PUBLISH_LEAD_SECONDS * 1000,
        graceMs: KEY_GRACE_MS,
      },
      runtime.logger,
    );
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRuntime(runtime, config),
        AuthModule.forRuntime(runtime, { imsUrl: config.IMS_URL, keys: keyStore, issuer: issuerOf(config) }),
        AuditModule,
        DeadLettersModule,
        KeysModule.forKeyStore(keyStore),
        RevocationsModule,
        OrganizationsModule,
        IntegrationsModule,
        TokensModule,
      ],
    };
  }
}
