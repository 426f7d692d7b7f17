import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, DomainError, Errors, ServiceRuntime } from '@audx/platform';
import type { IdentityConfig } from '../config';
import { RecipientsRepository } from '../recipients/recipients.repository';
import { LinkKeysRepository } from './link-keys.repository';
import { LinkClaims, linkSignature, signatureMatches } from './link-signature';
import { allowedTarget } from './tracking';

export interface TrackingLinkRequest {
  recipientId: string;
  target: string;
  expiresInSeconds?: number;
}

/** Why a click was not trusted: answered 400 with this sentence, and nothing is linked. */
export type LinkRefusal = 'unsigned' | 'expired' | 'bad-signature';

const REFUSALS: Record<LinkRefusal, string> = {
  unsigned: 'the link is not signed: links come from POST /v1/tracking-links',
  expired: 'the link has expired',
  'bad-signature': 'the link was changed or was not signed for this org',
};

/**
 * Signed tracking links: a campaign's mail merge asks for one per recipient and target; the
 * redirect links the clicking visitor to that recipient only when the signature (HMAC-SHA256
 * under the org's link key, sealed at rest) covers exactly that org, recipient, target and expiry.
 */
@Injectable()
export class TrackingLinksService {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(LinkKeysRepository) private readonly keys: LinkKeysRepository,
    @Inject(RecipientsRepository) private readonly recipients: RecipientsRepository,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
  ) {}

  async issue(orgId: string, req: TrackingLinkRequest): Promise<{ url: string; expiresAt: string }> {
    const target = allowedTarget(req.target, this.config.REDIRECT_ALLOWED_HOSTS);
    if (!target) throw Errors.unprocessable('target: not an absolute http(s) URL of an allowed host (REDIRECT_ALLOWED_HOSTS)');
    const life = req.expiresInSeconds ?? Math.min(30 * 86400, this.config.TRACKING_LINK_MAX_SECONDS);
    if (life > this.config.TRACKING_LINK_MAX_SECONDS) throw Errors.unprocessable(`expiresInSeconds: at most ${this.config.TRACKING_LINK_MAX_SECONDS}`);
    const claims: LinkClaims = { orgId, recipientId: req.recipientId, target: target.toString(), exp: Math.floor(Date.now() / 1000) + life };
    const secret = await this.runtime.dataSource.transaction(async (m) => {
      if (!(await this.recipients.find(m, orgId, req.recipientId))) throw Errors.notFound('recipient');
      return (await this.keys.signing(m, orgId)).secret;
    });
    const query = new URLSearchParams({ org: orgId, url: claims.target, exp: String(claims.exp), sig: linkSignature(secret, claims) });
    const base = (this.config.TRACKING_BASE_URL ?? `http://127.0.0.1:${this.config.PORT}`).replace(/\/+$/, '');
    return { url: `${base}/r/${encodeURIComponent(req.recipientId)}?${query.toString()}`, expiresAt: new Date(claims.exp * 1000).toISOString() };
  }

  /** Why a click's link cannot be trusted, or null when its signature holds and it has not expired. */
  async refusal(claims: Partial<LinkClaims> & { sig?: string }): Promise<LinkRefusal | null> {
    const { orgId, recipientId, target, exp, sig } = claims;
    if (!orgId || !recipientId || !target || exp === undefined || !Number.isSafeInteger(exp) || !sig) return 'unsigned';
    if (exp * 1000 <= Date.now()) return 'expired';
    const since = new Date(Date.now() - this.config.TRACKING_LINK_MAX_SECONDS * 1000);
    const secrets = (await this.keys.verifying(this.runtime.dataSource.manager, orgId, since)).map((k) => k.secret);
    return signatureMatches(secrets, { orgId, recipientId, target, exp }, sig) ? null : 'bad-signature';
  }

  refused(why: LinkRefusal): DomainError {
    return Errors.badRequest(REFUSALS[why]);
  }

  /** New links are signed with a new key; `revokePrevious` also stops the old links at once (a leaked key). */
  async rotate(orgId: string, revokePrevious: boolean): Promise<{ keyId: number }> {
    return { keyId: await this.runtime.dataSource.transaction((m) => this.keys.rotate(m, orgId, revokePrevious)) };
  }
}
