import { Controller, Header, HttpCode, Inject, Post, Req, UseFilters } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { APP_CONFIG, discardRest } from '@audx/platform';
import type { ImsConfig } from '../config';
import { ClientAddressResolver } from './client-address';
import { FORM_DISCARD_LIMITS, OAuthError, OAuthExceptionFilter } from './oauth-error';
import { OAuthForm, readOAuthForm } from './oauth-form';
import { Introspection, TokensService } from './tokens.service';
import { TokenResponse } from './token-issuer';

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data'];
const form = (properties: Record<string, string>) => ({
  schema: { type: 'object', properties: Object.fromEntries(Object.entries(properties).map(([k, description]) => [k, { type: 'string', description }])) },
});

@ApiTags('tokens')
@Controller('ims')
@UseFilters(OAuthExceptionFilter)
export class TokensController {
  private readonly addresses: ClientAddressResolver;

  constructor(
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(APP_CONFIG) private readonly config: ImsConfig,
  ) {
    this.addresses = new ClientAddressResolver(config.IMS_TRUSTED_PROXIES);
  }

  @Post('token/v3')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'client_credentials grant: an RS256 access token' })
  @ApiConsumes(...FORM_TYPES)
  @ApiBody(form({ grant_type: 'client_credentials', client_id: '', client_secret: '', scope: 'comma-separated' }))
  @ApiOkResponse({ description: '{"access_token","token_type":"bearer","expires_in"}' })
  async tokenV3(@Req() req: Request): Promise<TokenResponse> {
    return this.tokens.grant(await this.read(req), req.header('authorization'), this.addressOf(req), 'v3');
  }

  @Post('token/v2')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: "client_credentials grant with the org_id field (Adobe's client libraries)" })
  @ApiConsumes(...FORM_TYPES)
  @ApiBody(form({ grant_type: 'client_credentials', client_id: '', client_secret: '', scope: 'comma-separated', org_id: '<24 hex>@AdobeOrg' }))
  async tokenV2(@Req() req: Request): Promise<TokenResponse> {
    return this.tokens.grant(await this.read(req), req.header('authorization'), this.addressOf(req), 'v2');
  }

  @Post('validate_token/v1')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Introspection: always 200 with {"valid":true,"token":{claims}} or {"valid":false,"reason"}' })
  @ApiConsumes(...FORM_TYPES)
  @ApiBody(form({ type: 'access_token', client_id: '', token: 'or Authorization: Bearer' }))
  async validate(@Req() req: Request): Promise<Introspection> {
    let fields: OAuthForm;
    try {
      fields = await this.read(req);
    } catch (err) {
      // the contract says always 200: a body that cannot be read validates nothing
      if (!(err instanceof OAuthError) || err.status >= 500) throw err;
      if (!req.complete) discardRest(req, FORM_DISCARD_LIMITS);
      return { valid: false, reason: err.description };
    }
    return this.tokens.introspect(fields, req.header('authorization'));
  }

  @Post('invalidate_token/v2')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Revocation (RFC 7009): published on ims.token.revoked; cascading=all revokes every token of the client' })
  @ApiConsumes(...FORM_TYPES)
  @ApiBody(form({ token_type: 'access_token', token: '', cascading: 'all to revoke every token of the client', client_id: '', client_secret: '' }))
  async invalidate(@Req() req: Request): Promise<void> {
    await this.tokens.invalidate(await this.read(req), req.header('authorization'), this.addressOf(req));
  }

  private read(req: Request): Promise<OAuthForm> {
    return readOAuthForm(req, this.config.IMS_FORM_MAX_BYTES);
  }

  /** The key of the per-address brute-force brake: the TCP peer, or the client behind a trusted proxy. */
  private addressOf(req: Request): string {
    return this.addresses.resolve(req.socket.remoteAddress, req.header('x-forwarded-for'));
  }
}
