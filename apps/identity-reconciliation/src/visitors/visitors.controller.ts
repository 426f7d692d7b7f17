import { Controller, Get, HttpCode, Inject, OnApplicationBootstrap, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { APP_CONFIG, Errors, LOGGER } from '@audx/platform';
import { LineError } from '../common/ndjson-report';
import { ndjsonBody } from '../common/ndjson';
import type { IdentityConfig } from '../config';
import { AddressRateLimit } from './address-rate-limit';
import { allowedTarget, visitorIdsFromCookies } from './tracking';
import { TrackingLinksService } from './tracking-links.service';
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
  private readonly clicks: AddressRateLimit;

  constructor(
    @Inject(VisitorsService) private readonly visitors: VisitorsService,
    @Inject(TrackingLinksService) private readonly links: TrackingLinksService,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.clicks = new AddressRateLimit(config.REDIRECT_RATE_PER_MINUTE);
  }

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
   * The email tracking redirect (no token: a person clicks it). Only a link signed by
   * POST /v1/tracking-links, unchanged and unexpired, is trusted: then the visitor ID of the
   * AMCV_<org> cookie is linked to the recipient, and the answer is 302 to the target. Anything else
   * answers 400 and links nothing; more than REDIRECT_RATE_PER_MINUTE clicks of an address, 429.
   */
  @Get('r/:recipientId')
  @ApiExcludeEndpoint()
  async redirect(@Param('recipientId') recipientId: string, @Query() query: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    if (!this.clicks.allow(req.ip ?? 'unknown')) throw Errors.tooManyRequests('too many clicks from this address; try again in a minute');
    const param = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
    const target = allowedTarget(param('url'), this.config.REDIRECT_ALLOWED_HOSTS);
    if (!target) throw Errors.badRequest('url: missing, malformed or not an allowed host');
    const orgId = param('org');
    const exp = param('exp');
    const refusal = await this.links.refusal({ orgId, recipientId, target: param('url'), exp: exp && /^\d{1,12}$/.test(exp) ? Number(exp) : undefined, sig: param('sig') });
    if (refusal) throw this.links.refused(refusal);
    const visitorId = visitorIdsFromCookies(req.header('cookie')).get(orgId!);
    if (visitorId) {
      try {
        await this.visitors.linkFromRedirect(orgId!, visitorId, recipientId);
      } catch (err) {
        // the person still gets where the email promised; the link is lost, and logged
        this.logger.warn({ err: String(err) }, 'tracking redirect could not record the visitor link');
      }
    }
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, target.toString());
  }
}
