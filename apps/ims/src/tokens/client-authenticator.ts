import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Scopes, parseScopeList } from '@audx/auth';
import { APP_CONFIG, Metrics } from '@audx/platform';
import type { Counter } from 'prom-client';
import type { ImsConfig } from '../config';
import { IntegrationsRepository } from '../integrations/integrations.repository';
import { SecretHasher } from '../integrations/secret-hasher';
import { AuthFailuresRepository } from './auth-failures.repository';
import { FailedAuthLimiter, type FailureStore } from './failure-limiter';
import { OAuthError } from './oauth-error';

export interface AuthenticatedClient {
  clientId: string;
  /** Undefined for the bootstrap operator. */
  orgId: string | undefined;
  userId: string;
  allowedScopes: string[];
}

/** Checks client_id / client_secret: the bootstrap operator's (from config) or an integration's. */
@Injectable()
export class ClientAuthenticator {
  private readonly adminDigest: Buffer;
  private readonly limiter: FailedAuthLimiter;
  private readonly failureCount: Counter<'reason'>;

  constructor(
    @Inject(IntegrationsRepository) private readonly integrations: IntegrationsRepository,
    @Inject(SecretHasher) private readonly hasher: SecretHasher,
    @Inject(APP_CONFIG) private readonly config: ImsConfig,
    @Inject(Metrics) metrics: Metrics,
    @Inject(AuthFailuresRepository) failures: FailureStore,
  ) {
    this.adminDigest = digest(config.IMS_ADMIN_CLIENT_SECRET);
    this.limiter = new FailedAuthLimiter(
      {
        windowSeconds: config.IMS_AUTH_FAILURE_WINDOW_SECONDS,
        perClient: config.IMS_AUTH_FAILURES_PER_CLIENT,
        perAddress: config.IMS_AUTH_FAILURES_PER_ADDRESS,
      },
      failures,
    );
    this.failureCount = metrics.counter('audx_ims_client_auth_failures_total', 'Failed client authentications, by outcome', ['reason']);
  }

  /** 401 invalid_client on a wrong id or secret; 429 when the brake refuses the caller or the id is under attack. */
  async authenticate(clientId: string, secret: string, address: string): Promise<AuthenticatedClient> {
    // the brake keys on a digest: a client_id may be as long as the form allows (16 KiB)
    const clientKey = digest(clientId).toString('base64url');
    const blocked = await this.limiter.blockedFor(clientKey, address);
    if (blocked > 0) {
      this.failureCount.inc({ reason: 'throttled' });
      throw OAuthError.tooManyFailures(blocked);
    }
    const client = await this.check(clientId, secret);
    if (!client) {
      const wait = await this.limiter.recordFailure(clientKey, address);
      this.failureCount.inc({ reason: 'bad_credentials' });
      throw wait > 0 ? OAuthError.tooManyFailures(wait) : OAuthError.invalidClient();
    }
    return client;
  }

  private async check(clientId: string, secret: string): Promise<AuthenticatedClient | null> {
    if (clientId === this.config.IMS_ADMIN_CLIENT_ID) {
      if (!timingSafeEqual(digest(secret), this.adminDigest)) return null;
      return { clientId, orgId: undefined, userId: `${clientId}@techacct.adobe.com`, allowedScopes: [Scopes.imsAdmin] };
    }
    if (clientId.length > 64) return null;
    const row = await this.integrations.findActive(clientId);
    if (!row?.secretHash) return null;
    const current = await this.hasher.verify(secret, row.secretHash);
    const previous =
      !current && row.previousSecretHash && row.previousSecretExpiresAt && row.previousSecretExpiresAt.getTime() > Date.now()
        ? await this.hasher.verify(secret, row.previousSecretHash)
        : false;
    if (!current && !previous) return null;
    return { clientId, orgId: row.orgId, userId: row.technicalAccountId, allowedScopes: parseScopeList(row.scopes) };
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}
