import { CanActivate, ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Counter } from 'prom-client';
import { DomainError, Errors, Metrics } from '@audx/platform';
import type { AuthContext } from './claims';
import { parseScopeList } from './scopes';
import { ORG_OPTIONAL, REQUIRED_SCOPES } from './metadata';
import { TokenVerifier } from './token-verifier';

/** `Authorization: Bearer <token>` (scheme case-insensitive), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = header ? /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header) : null;
  return m?.[1];
}

type RefusalReason = 'missing_token' | 'unavailable' | 'revoked' | 'expired' | 'invalid_token' | 'wrong_client' | 'wrong_org' | 'no_org' | 'insufficient_scope';

/**
 * 401 when the token is missing or fails verification; 403 when x-api-key or x-gw-ims-org-id
 * differ from the token or a required scope is missing; 503 while keys or revocations are not
 * available (fail closed). On success the request carries `auth` (see @CurrentAuth, @OrgId).
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  private readonly refusals: Counter<'reason'> | null;

  constructor(
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Optional() @Inject(Metrics) metrics?: Metrics,
  ) {
    this.refusals = metrics?.counter('audx_tokens_refused_total', 'Requests refused by the token guard, by reason', ['reason']) ?? null;
  }

  /** Counts a refusal under a bounded reason, and answers the error to throw. */
  private refuse(reason: RefusalReason, err: DomainError): DomainError {
    this.refusals?.inc({ reason });
    return err;
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request & { auth?: AuthContext }>();
    const res = ctx.switchToHttp().getResponse<Response>();
    const token = bearerToken(req.header('authorization'));
    if (!token) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="audx"');
      throw this.refuse('missing_token', Errors.unauthorized('missing bearer token'));
    }
    const result = await this.verifier.verify(token);
    if (!result.valid) {
      if (result.unavailable) throw this.refuse('unavailable', Errors.unavailable(`cannot verify access tokens: ${result.reason}`));
      res.setHeader('WWW-Authenticate', 'Bearer realm="audx", error="invalid_token"');
      throw this.refuse(result.kind ?? 'invalid_token', Errors.unauthorized(`invalid access token: ${result.reason}`));
    }
    const claims = result.claims;
    if (req.header('x-api-key') !== claims.client_id) throw this.refuse('wrong_client', Errors.forbidden('x-api-key does not match the client of the access token'));
    const orgHeader = req.header('x-gw-ims-org-id');
    if (claims.org !== undefined) {
      if (orgHeader !== claims.org) throw this.refuse('wrong_org', Errors.forbidden('x-gw-ims-org-id does not match the organization of the access token'));
    } else {
      if (orgHeader !== undefined) throw this.refuse('wrong_org', Errors.forbidden('x-gw-ims-org-id given but the access token belongs to no organization'));
      const optional = this.reflector.getAllAndOverride<boolean | undefined>(ORG_OPTIONAL, [ctx.getHandler(), ctx.getClass()]);
      if (!optional) throw this.refuse('no_org', Errors.forbidden('this route needs an access token of an organization'));
    }
    const scopes = parseScopeList(claims.scope);
    const required = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_SCOPES, [ctx.getHandler(), ctx.getClass()]) ?? [];
    const missing = required.filter((s) => !scopes.includes(s));
    if (missing.length > 0) {
      res.setHeader('WWW-Authenticate', `Bearer realm="audx", error="insufficient_scope", scope="${required.join(' ')}"`);
      throw this.refuse('insufficient_scope', Errors.forbidden(`the access token lacks scope ${missing.join(', ')}`));
    }
    req.auth = { clientId: claims.client_id, orgId: claims.org, userId: claims.user_id, scopes, jti: claims.jti, claims };
    return true;
  }
}
