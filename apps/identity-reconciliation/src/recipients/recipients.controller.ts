import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { APP_CONFIG } from '@audx/platform';
import { ndjsonBody } from '../common/ndjson';
import type { IdentityConfig } from '../config';
import { RecipientView, RecipientsUploadView } from './recipients.dto';
import { RecipientsService } from './recipients.service';

@ApiTags('recipients')
@Controller('v1/recipients')
export class RecipientsController {
  constructor(
    @Inject(RecipientsService) private readonly recipients: RecipientsService,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @RequireScope(Scopes.profilesWrite)
  @ApiOperation({ summary: 'Upsert recipients from an NDJSON stream (one {"recipientId","email","crmId","phone","blocklisted","attributes"} per line)' })
  @ApiConsumes('application/x-ndjson')
  @ApiBody({ schema: { type: 'string' } })
  @ApiOkResponse({ type: RecipientsUploadView })
  async upsert(@OrgId() orgId: string, @Req() req: Request) {
    const report = await this.recipients.upsertStream(orgId, ndjsonBody(req, { maxBytes: this.config.NDJSON_MAX_BYTES, maxLineBytes: this.config.NDJSON_MAX_LINE_BYTES }));
    return report.toJSON();
  }

  @Get(':recipientId')
  @RequireScope(Scopes.read)
  @ApiOkResponse({ type: RecipientView })
  get(@OrgId() orgId: string, @Param('recipientId') recipientId: string): Promise<RecipientView> {
    return this.recipients.get(orgId, recipientId);
  }

  @Delete(':recipientId')
  @HttpCode(204)
  @RequireScope(Scopes.profilesWrite)
  @ApiOperation({ summary: 'Erase a recipient from lists, visitor links and the recipient tables' })
  @ApiNoContentResponse()
  async erase(@OrgId() orgId: string, @Param('recipientId') recipientId: string): Promise<void> {
    await this.recipients.erase(orgId, recipientId);
  }
}
