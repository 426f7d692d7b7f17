import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody } from '@audx/platform';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import type { ShareRecord } from '@audx/contracts';
import { ExportsService } from './exports.service';

const SyncSchema = z.object({ enabled: z.boolean(), debounceSeconds: z.number().int().min(1).max(86400).optional() }).strict();

@ApiTags('lists')
@Controller('v1/shares')
export class SharesController {
  constructor(@Inject(ExportsService) private readonly exports: ExportsService) {}

  @Get(':exportId')
  @RequireScope(Scopes.read)
  @ApiOperation({ summary: 'A share as emitted on list.exported (its publication is GET /v1/exports/{id} on audience-publication)' })
  get(@OrgId() orgId: string, @Param('exportId') exportId: string): Promise<ShareRecord> {
    return this.exports.find(orgId, exportId);
  }

  @Post(':exportId/complement')
  @RequireScope(Scopes.listsWrite)
  @HttpCode(201)
  @ApiOperation({ summary: "A new list of the members the share reached without an identifier (201 {listId}); 409 when the audience was shared again since or the share is not made yet" })
  complement(@OrgId() orgId: string, @Param('exportId') exportId: string) {
    return this.exports.complement(orgId, exportId);
  }

  @Get('audiences/:audienceId/sync')
  @RequireScope(Scopes.read)
  @ApiOperation({ summary: 'Whether an audience is kept in sync with its list (audience-publication serves this as GET /v1/audiences/{id}/sync)' })
  sync(@OrgId() orgId: string, @Param('audienceId') audienceId: string) {
    return this.exports.syncOf(orgId, audienceId);
  }

  @Put('audiences/:audienceId/sync')
  @RequireScope(Scopes.listsWrite)
  @ApiOperation({ summary: 'Keep an audience in sync with its list, or stop (audience-publication serves this as PUT /v1/audiences/{id}/sync)' })
  @ApiBody({ schema: { type: 'object', required: ['enabled'], properties: { enabled: { type: 'boolean' }, debounceSeconds: { type: 'integer', minimum: 1, maximum: 86400 } } } })
  setSync(@OrgId() orgId: string, @Param('audienceId') audienceId: string, @Body(new ZodBody(SyncSchema)) body: z.infer<typeof SyncSchema>) {
    return this.exports.setSync(orgId, audienceId, body);
  }
}
