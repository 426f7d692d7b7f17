import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AccessTokenClaims, formatScopes, signRs256 } from '@audx/auth';
import { APP_CONFIG, Metrics } from '@audx/platform';
import type { Counter } from 'prom-client';
import { ImsConfig, issuerOf } from '../config';
import { KeyStore } from '../keys/key-store';
import type { AuthenticatedClient } from './client-authenticator';

export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
}

/** Signs RS256 access tokens with Adobe's claims (`created_at` / `expires_in` in ms as strings). */
@Injectable()
export class TokenIssuer {
  private readonly issued: Counter;

  constructor(
    @Inject(KeyStore) private readonly keys: KeyStore,
    @Inject(APP_CONFIG) private readonly config: ImsConfig,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.issued = metrics.counter('audx_ims_tokens_issued_total', 'Access tokens issued');
  }

  async issue(client: AuthenticatedClient, scopes: readonly string[]): Promise<TokenResponse> {
    const { kid, privateKey } = await this.keys.signingKey();
    const ttl = this.config.IMS_TOKEN_TTL_SECONDS;
    const nowMs = Date.now();
    const iat = Math.floor(nowMs / 1000);
    const claims: AccessTokenClaims = {
      iss: issuerOf(this.config),
      aud: this.config.IMS_AUDIENCE,
      sub: client.userId,
      iat,
      nbf: iat,
      exp: iat + ttl,
      jti: randomUUID(),
      type: 'access_token',
      client_id: client.clientId,
      user_id: client.userId,
      as: this.config.IMS_SHARD,
      scope: formatScopes(scopes),
      created_at: String(nowMs),
      expires_in: String(ttl * 1000),
      ...(client.orgId ? { org: client.orgId } : {}),
    };
    const token = signRs256(claims, privateKey, kid);
    this.issued.inc();
    return { access_token: token, token_type: 'bearer', expires_in: ttl };
  }
}
