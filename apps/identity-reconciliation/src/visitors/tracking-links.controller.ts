import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { ZodBody } from '@audx/platform';
import { TrackingLinksService } from './tracking-links.service';

const IssueSchema = z
  .object({
    recipientId: z.string().trim().min(1).max(128),
    target: z.string().min(1).max(4096),
    expiresInSeconds: z.coerce.number().int().min(1).optional(),
  })
  .strict();

const RotateSchema = z.object({ revokePrevious: z.boolean().default(false) }).strict();

class IssueBody {
  @ApiProperty() recipientId: string;
  @ApiProperty({ description: 'absolute http(s) URL of an allowed host' }) target: string;
  @ApiPropertyOptional({ description: 'life of the link (default 30 days, at most TRACKING_LINK_MAX_SECONDS)' }) expiresInSeconds?: number;
}

class IssuedLink {
  @ApiProperty({ example: 'https://t.example.com/r/r-1?org=...&url=...&exp=...&sig=...' }) url: string;
  @ApiProperty() expiresAt: string;
}

class RotateBody {
  @ApiPropertyOptional({ description: 'also refuse every link the previous keys signed, at once (a leaked key)' }) revokePrevious?: boolean;
}

@ApiTags('visitors')
@Controller('v1/tracking-links')
export class TrackingLinksController {
  constructor(@Inject(TrackingLinksService) private readonly links: TrackingLinksService) {}

  @Post()
  @HttpCode(201)
  @RequireScope(Scopes.profilesWrite)
  @ApiOperation({ summary: 'A signed tracking link for one recipient and target (what a mail merge puts in each email)' })
  @ApiBody({ type: IssueBody })
  @ApiCreatedResponse({ type: IssuedLink })
  issue(@OrgId() orgId: string, @Body(new ZodBody(IssueSchema)) body: z.infer<typeof IssueSchema>): Promise<IssuedLink> {
    return this.links.issue(orgId, body);
  }

  @Post('keys/rotate')
  @HttpCode(200)
  @RequireScope(Scopes.profilesWrite)
  @ApiOperation({ summary: "Sign the org's new links with a new key; earlier links keep working until they expire unless revokePrevious" })
  @ApiBody({ type: RotateBody })
  @ApiOkResponse({ schema: { properties: { keyId: { type: 'number' } } } })
  rotate(@OrgId() orgId: string, @Body(new ZodBody(RotateSchema)) body: z.infer<typeof RotateSchema>): Promise<{ keyId: number }> {
    return this.links.rotate(orgId, body.revokePrevious);
  }
}
