import { Controller, Get, HttpCode, Inject, OnApplicationBootstrap, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { APP_CONFIG, Errors, LOGGER } from '@audx/platform';
import { LineError } from '../common/ndjson-report';
import { ndjsonBody } from '../common/ndjson';
import type { IdentityConfig } from '../config';
import { allowedTarget, visitorIdsFromCookies } from './tracking';
import { VisitorsService } from './visitors.service';

class VisitorsUploadView {
  @ApiProperty() received: number;
  @ApiProperty() linked: number;
  @ApiProperty() rejected: number;
  @ApiProperty({ type: [LineError] }) errors: LineError[];
}

@ApiTags('visitors')
@Controller()
export class VisitorsController implements OnApplicationBootstrap {
  constructor(
    @Inject(VisitorsService) private readonly visitors: VisitorsService,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    // not an error (a deployment may not use tracked links), but every click would answer 400
    if (this.config.REDIRECT_ALLOWED_HOSTS.length === 0) this.logger.warn('REDIRECT_ALLOWED_HOSTS is empty: the tracking redirect /r/{recipientId} refuses every target');
  }

  @Post('v1/visitors')
  @HttpCode(200)
  @RequireScope(Scopes.profilesWrite)
  @ApiOperation({ summary: 'Link visitor IDs to recipients from an NDJSON stream ({"visitorId","recipientId"} per line)' })
  @ApiConsumes('application/x-ndjson')
  @ApiBody({ schema: { type: 'string' } })
  @ApiOkResponse({ type: VisitorsUploadView })
  async link(@OrgId() orgId: string, @Req() req: Request) {
    const report = await this.visitors.linkStream(orgId, ndjsonBody(req, { maxBytes: this.config.NDJSON_MAX_BYTES, maxLineBytes: this.config.NDJSON_MAX_LINE_BYTES }));
    return report.toJSON();
  }

  /**
   * The email tracking redirect (no token: a person clicks it). The org is `org=` when given,
   * otherwise the one AMCV_<org> cookie the browser sends; the visitor ID comes from that cookie.
   * Links only a recipient the org knows; answers 302 to allowed hosts only, 400 otherwise.
   */
  @Get('r/:recipientId')
  @ApiExcludeEndpoint()
  async redirect(@Param('recipientId') recipientId: string, @Query('url') url: string | undefined, @Query('org') org: string | undefined, @Req() req: Request, @Res() res: Response) {
    const target = allowedTarget(typeof url === 'string' ? url : undefined, this.config.REDIRECT_ALLOWED_HOSTS);
    if (!target) throw Errors.badRequest('url: missing, malformed or not an allowed host');
    const byOrg = visitorIdsFromCookies(req.header('cookie'));
    const orgId = typeof org === 'string' ? org : byOrg.size === 1 ? [...byOrg.keys()][0] : undefined;
    const visitorId = orgId ? byOrg.get(orgId) : undefined;
    if (orgId && visitorId && recipientId.length <= 128) {
      try {
        await this.visitors.linkFromRedirect(orgId, visitorId, recipientId);
      } catch (err) {
        // the person still gets where the email promised; the link is lost, and logged
        this.logger.warn({ err: String(err) }, 'tracking redirect could not record the visitor link');
      }
    }
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, target.toString());
  }
}
