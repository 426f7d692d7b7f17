import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { RevocationList, clientRevocationId, keyRevocationId } from '@audx/auth';
import { Topics } from '@audx/contracts';
import type { OutboxWriter } from '@audx/messaging';
import { LOGGER } from '@audx/platform';
import { RevokedToken } from './revoked-token.entity';
import { RevocationsRepository } from './revocations.repository';

/** Seconds on top of the token lifetime, for clock skew and verifier tolerance. */
const REVOCATION_SLACK_SEC = 120;

/** When a revocation of tokens issued up to `issuedUpToSec` stops mattering: every one of them has expired. */
export function revocationExpiry(issuedUpToSec: number, tokenTtlSeconds: number): number {
  return issuedUpToSec + tokenTtlSeconds + REVOCATION_SLACK_SEC;
}

/** The envelope org of a revocation that concerns no organization (the operator's tokens). */
export const NO_ORG = 'ims';

export type RevocationRequest =
  | { kind: 'token'; jti: string; clientId: string; orgId: string | undefined; exp: number }
  | { kind: 'client'; clientId: string; orgId: string | undefined; createdAtOrBeforeMs?: number; exp: number }
  | { kind: 'key'; kid: string; exp: number };

/**
 * Records revocations in MySQL and publishes them on ims.token.revoked through the outbox, in the
 * caller's transaction; `remember` puts them in this replica's list at once (the others get them
 * from the topic). Expired rows are pruned every 10 minutes.
 */
@Injectable()
export class RevocationsService implements OnModuleInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(RevocationsRepository) private readonly repo: RevocationsRepository,
    @Inject(RevocationList) private readonly list: RevocationList,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.repo.deleteExpired(Date.now() / 1000).catch((err) => this.logger.warn({ err: String(err) }, 'revocation pruning failed'));
    }, 600_000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Writes the revocation and its event; returns the published id. */
  async record(manager: EntityManager, outbox: OutboxWriter, r: RevocationRequest): Promise<{ jti: string; exp: number }> {
    const jti = r.kind === 'token' ? r.jti : r.kind === 'key' ? keyRevocationId(r.kid) : clientRevocationId(r.clientId, r.createdAtOrBeforeMs);
    const orgId = r.kind === 'key' ? undefined : r.orgId;
    const row = Object.assign(new RevokedToken(), {
      jti,
      kind: r.kind,
      clientId: r.kind === 'key' ? '' : r.clientId,
      orgId: orgId ?? null,
      createdAtOrBeforeMs: r.kind === 'client' ? (r.createdAtOrBeforeMs ?? null) : null,
      expiresAt: r.exp,
      revokedAt: new Date(),
    });
    if (await this.repo.insert(manager, row)) outbox.add(Topics.imsTokenRevoked, orgId ?? NO_ORG, { jti, exp: r.exp });
    return { jti, exp: r.exp };
  }

  remember(revoked: { jti: string; exp: number }): void {
    this.list.add(revoked.jti, revoked.exp);
  }

  covers(token: { jti: string; clientId: string; createdAtMs: number }): Promise<boolean> {
    return this.repo.covers(token, Date.now() / 1000);
  }
}
