import { Inject, Injectable } from '@nestjs/common';
import { AccessTokenClaims, TokenVerifier, bearerToken, isScope, parseScopeList } from '@audx/auth';
import { APP_CONFIG, ServiceRuntime } from '@audx/platform';
import type { ImsConfig } from '../config';
import { RevocationRequest, RevocationsService, revocationExpiry } from '../revocations/revocations.service';
import { ClientAuthenticator } from './client-authenticator';
import { OAuthError } from './oauth-error';
import type { OAuthForm } from './oauth-form';
import { TokenIssuer, TokenResponse } from './token-issuer';

/** Verifies signature and claims with this replica's keys; revocations are checked in MySQL. */
export const SIGNATURE_VERIFIER = Symbol('SIGNATURE_VERIFIER');


export type Introspection = { valid: true; token: AccessTokenClaims } | { valid: false; reason: string };

@Injectable()
export class TokensService {
  constructor(
    @Inject(ClientAuthenticator) private readonly clients: ClientAuthenticator,
    @Inject(TokenIssuer) private readonly issuer: TokenIssuer,
    @Inject(SIGNATURE_VERIFIER) private readonly verifier: TokenVerifier,
    @Inject(RevocationsService) private readonly revocations: RevocationsService,
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(APP_CONFIG) private readonly config: ImsConfig,
  ) {}

  /** client_credentials grant; v2 also takes `org_id`, which must be the client's organization. */
  async grant(form: OAuthForm, authorization: string | undefined, address: string, version: 'v2' | 'v3'): Promise<TokenResponse> {
    const grantType = form.require('grant_type');
    if (grantType !== 'client_credentials') throw OAuthError.unsupportedGrantType(grantType);
    const { clientId, secret } = clientCredentials(form, authorization);
    const client = await this.clients.authenticate(clientId, secret, address);
    const orgId = form.get('org_id');
    if (version === 'v2' && orgId !== undefined && orgId !== client.orgId) throw OAuthError.invalidRequest('org_id is not the organization of this client');
    return this.issuer.issue(client, resolveScopes(form.get('scope'), client.allowedScopes));
  }

  /** validate_token/v1: always an answer, valid or not with a reason; revocations read from MySQL. */
  async introspect(form: OAuthForm, authorization: string | undefined): Promise<Introspection> {
    const fromHeader = bearerToken(authorization);
    const fromField = form.get('token');
    if (fromHeader && fromField && fromHeader !== fromField) return invalid('two different tokens given');
    const token = fromHeader ?? fromField;
    if (!token) return invalid('token is required (Authorization: Bearer or the token field)');
    if ((form.get('type') ?? 'access_token') !== 'access_token') return invalid('unsupported token type; only access_token');
    const clientId = form.get('client_id');
    if (!clientId) return invalid('client_id is required');
    const result = await this.verifier.verify(token);
    if (!result.valid) return invalid(result.reason);
    const claims = result.claims;
    if (claims.client_id !== clientId) return invalid('token was not issued to this client_id');
    if (await this.revocations.covers({ jti: claims.jti, clientId: claims.client_id, createdAtMs: Number(claims.created_at) })) return invalid('token revoked');
    return { valid: true, token: claims };
  }

  /**
   * invalidate_token/v2 (RFC 7009): the client authenticates and revokes a token issued to it;
   * `cascading=all` revokes every token of the client issued so far. A token that does not verify
   * needs nothing and is answered 200 as well.
   */
  async invalidate(form: OAuthForm, authorization: string | undefined, address: string): Promise<void> {
    const tokenType = form.get('token_type') ?? 'access_token';
    if (tokenType !== 'access_token') throw new OAuthError('unsupported_token_type', 'only access_token can be invalidated');
    const token = form.require('token');
    const { clientId, secret } = clientCredentials(form, authorization);
    const client = await this.clients.authenticate(clientId, secret, address);
    const result = await this.verifier.verify(token);
    if (!result.valid) {
      if (result.unavailable) throw new OAuthError('temporarily_unavailable', result.reason, 503);
      return;
    }
    const claims = result.claims;
    if (claims.client_id !== client.clientId) throw new OAuthError('unauthorized_client', 'the token was not issued to this client');
    const cascading = ['all', 'true'].includes(form.get('cascading') ?? '');
    // in ms, so that a token issued later in this same second stays valid; never before the token
    // named here (another replica's clock may run a little ahead)
    const cutMs = Math.max(Date.now(), Number(claims.created_at));
    const request: RevocationRequest = cascading
      ? { kind: 'client', clientId: claims.client_id, orgId: claims.org, createdAtOrBeforeMs: cutMs, exp: revocationExpiry(Math.ceil(cutMs / 1000), this.config.IMS_TOKEN_TTL_SECONDS) }
      : { kind: 'token', jti: claims.jti, clientId: claims.client_id, orgId: claims.org, exp: claims.exp };
    const revoked = await this.runtime.transaction((manager, outbox) => this.revocations.record(manager, outbox, request));
    this.revocations.remember(revoked);
  }
}

function invalid(reason: string): Introspection {
  return { valid: false, reason };
}

/** From the form (client_secret_post) or `Authorization: Basic` (client_secret_basic), not both. */
export function clientCredentials(form: OAuthForm, authorization: string | undefined): { clientId: string; secret: string } {
  const basic = parseBasic(authorization);
  if (basic) {
    if (form.get('client_secret') !== undefined) throw OAuthError.invalidRequest('client credentials given both in Authorization and in the body');
    const formId = form.get('client_id');
    if (formId !== undefined && formId !== basic.clientId) throw OAuthError.invalidRequest('client_id differs from the Authorization header');
    return basic;
  }
  return { clientId: form.require('client_id'), secret: form.require('client_secret') };
}

function parseBasic(authorization: string | undefined): { clientId: string; secret: string } | null {
  const m = authorization ? /^Basic[ ]+([A-Za-z0-9+/=]+)[ ]*$/i.exec(authorization) : null;
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw OAuthError.invalidRequest('malformed Basic credentials');
  try {
    return { clientId: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    throw OAuthError.invalidRequest('malformed Basic credentials');
  }
}

/** The requested scopes (all the client's when none are asked), each known and granted to the client. */
export function resolveScopes(requested: string | undefined, allowed: readonly string[]): string[] {
  const asked = parseScopeList(requested);
  if (asked.length === 0) return [...allowed];
  const unknown = asked.filter((s) => !isScope(s));
  if (unknown.length > 0) throw OAuthError.invalidScope(`unknown scope ${unknown.map((s) => JSON.stringify(s.slice(0, 40))).join(', ')}`);
  const denied = asked.filter((s) => !allowed.includes(s));
  if (denied.length > 0) throw OAuthError.invalidScope(`scope ${denied.join(', ')} is not granted to this client`);
  return asked;
}
