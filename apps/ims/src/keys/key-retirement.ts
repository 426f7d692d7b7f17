import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, Errors, ServiceRuntime } from '@audx/platform';
import type { ImsConfig } from '../config';
import { RevocationsService, revocationExpiry } from '../revocations/revocations.service';
import { KeyStore } from './key-store';

/**
 * Retiring a compromised signing key: first the `key:<kid>` revocation (through the outbox, so
 * every guard refuses the key's tokens as soon as its revocation feed has it), then the key leaves
 * the JWKS and signing. A crash between the two leaves the key revoked and still present: the
 * operator retries, and both steps are idempotent.
 */
@Injectable()
export class KeyRetirement {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(KeyStore) private readonly keys: KeyStore,
    @Inject(RevocationsService) private readonly revocations: RevocationsService,
    @Inject(APP_CONFIG) private readonly config: ImsConfig,
  ) {}

  async retire(kid: string): Promise<{ retired: string; signing: string }> {
    if (!(await this.keys.jwks()).keys.some((k) => k.kid === kid)) throw Errors.notFound('signing key');
    const exp = revocationExpiry(Math.floor(Date.now() / 1000), this.config.IMS_TOKEN_TTL_SECONDS);
    const revoked = await this.runtime.transaction((manager, outbox) => this.revocations.record(manager, outbox, { kind: 'key', kid, exp }));
    this.revocations.remember(revoked);
    const done = await this.keys.retire(kid);
    if (!done) throw Errors.notFound('signing key');
    return done;
  }
}
