import { Body, Controller, Get, Header, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OrgOptional, RequireScope, Scopes } from '@audx/auth';
import { APP_CONFIG, ZodBody } from '@audx/platform';
import { ImsConfig, issuerOf } from '../config';
import { discoveryDocument } from './discovery';
import { KeyRetirement } from './key-retirement';
import { KeyStore } from './key-store';
import { JwksView, RetiredKeyView, RotateKeyDto, RotateKeySchema, RotatedKeyView } from './keys.dto';

@ApiTags('keys')
@Controller('ims')
export class KeysController {
  constructor(
    @Inject(KeyStore) private readonly keys: KeyStore,
    @Inject(KeyRetirement) private readonly retirement: KeyRetirement,
    @Inject(APP_CONFIG) private readonly config: ImsConfig,
  ) {}

  @Get('keys')
  @Header('Cache-Control', 'public, max-age=60')
  @ApiOperation({ summary: 'The signing keys (JWKS): current, next, and replaced ones whose tokens may still be alive' })
  @ApiOkResponse({ type: JwksView })
  jwks() {
    return this.keys.jwks();
  }

  @Get('.well-known/openid-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'OpenID provider metadata' })
  discovery() {
    return discoveryDocument(issuerOf(this.config));
  }

  @Post('keys/rotate')
  @RequireScope(Scopes.imsAdmin)
  @OrgOptional()
  @ApiOperation({ summary: 'Schedule a new signing key: published now, signing after activateInSeconds (ims.admin)' })
  @ApiOkResponse({ type: RotatedKeyView })
  async rotate(@Body(new ZodBody(RotateKeySchema)) body: RotateKeyDto): Promise<RotatedKeyView> {
    const { kid, activatesAt } = await this.keys.rotate(body.activateInSeconds === undefined ? undefined : body.activateInSeconds * 1000);
    return { kid, activatesAt: activatesAt.toISOString() };
  }

  @Post('keys/:kid/retire')
  @HttpCode(200)
  @RequireScope(Scopes.imsAdmin)
  @OrgOptional()
  @ApiOperation({ summary: 'Retire a compromised signing key at once: its tokens refused by every service, new tokens signed by another key (ims.admin)' })
  @ApiOkResponse({ type: RetiredKeyView })
  retire(@Param('kid') kid: string): Promise<RetiredKeyView> {
    return this.retirement.retire(kid);
  }
}
