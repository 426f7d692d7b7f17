import { Body, Controller, Get, Header, Inject, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OrgOptional, RequireScope, Scopes } from '@audx/auth';
import { APP_CONFIG, ZodBody } from '@audx/platform';
import { ImsConfig, issuerOf } from '../config';
import { discoveryDocument } from './discovery';
import { KeyStore } from './key-store';
import { JwksView, RotateKeyDto, RotateKeySchema, RotatedKeyView } from './keys.dto';

@ApiTags('keys')
@Controller('ims')
export class KeysController {
  constructor(
    @Inject(KeyStore) private readonly keys: KeyStore,
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
}
