import { Module } from '@nestjs/common';
import { TokenVerifier } from '@audx/auth';
import { APP_CONFIG } from '@audx/platform';
import { ImsConfig, issuerOf } from '../config';
import { IntegrationsModule } from '../integrations/integrations.module';
import { KeyStore } from '../keys/key-store';
import { RevocationsModule } from '../revocations/revocations.module';
import { AuthFailuresRepository } from './auth-failures.repository';
import { ClientAuthenticator } from './client-authenticator';
import { TokenIssuer } from './token-issuer';
import { TokensController } from './tokens.controller';
import { SIGNATURE_VERIFIER, TokensService } from './tokens.service';

@Module({
  imports: [IntegrationsModule, RevocationsModule],
  controllers: [TokensController],
  providers: [
    AuthFailuresRepository,
    ClientAuthenticator,
    TokenIssuer,
    TokensService,
    {
      provide: SIGNATURE_VERIFIER,
      // the same checks as every service's guard: a token issued for another audience is not valid here either
      useFactory: (keys: KeyStore, config: ImsConfig) => new TokenVerifier(keys, null, { issuer: issuerOf(config), audience: config.IMS_AUDIENCE }),
      inject: [KeyStore, APP_CONFIG],
    },
  ],
})
export class TokensModule {}
