import { ExecutionContext, SetMetadata, UseGuards, applyDecorators, createParamDecorator } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiHeader, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Errors } from '@audx/platform';
import type { AuthContext } from './claims';
import { AccessTokenGuard } from './guard';
import { ORG_OPTIONAL, REQUIRED_SCOPES } from './metadata';
import type { Scope } from './scopes';

/**
 * Protects a route (or every route of a controller): a valid access token with every listed scope,
 * `x-api-key` equal to its client id and `x-gw-ims-org-id` equal to its org.
 */
export function RequireScope(...scopes: Scope[]) {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPES, scopes),
    UseGuards(AccessTokenGuard),
    ApiBearerAuth(),
    ApiHeader({ name: 'x-api-key', required: true, description: 'the client id the token was issued to' }),
    ApiUnauthorizedResponse({ description: 'missing or invalid access token' }),
    ApiForbiddenResponse({ description: 'missing scope, or x-api-key / x-gw-ims-org-id differing from the token' }),
  );
}

/** Lets tokens that belong to no organization (the bootstrap operator's) through, without `x-gw-ims-org-id`. */
export function OrgOptional() {
  return SetMetadata(ORG_OPTIONAL, true);
}

type AuthedRequest = { auth?: AuthContext };

export function authOf(ctx: ExecutionContext): AuthContext {
  const auth = ctx.switchToHttp().getRequest<AuthedRequest>().auth;
  if (!auth) throw Errors.unauthorized();
  return auth;
}

/** The verified caller of a route protected by @RequireScope. */
export const CurrentAuth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext => authOf(ctx));

/** The caller's organization (token org, equal to `x-gw-ims-org-id`); 403 for an org-less token. */
export const OrgId = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const { orgId } = authOf(ctx);
  if (!orgId) throw Errors.forbidden('this token belongs to no organization');
  return orgId;
});
