import { Controller, Get, Headers, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import type { CallerHeaders } from './share-lookup';
import { EXPORT_STATUSES } from './export.row';
import { ExportsService } from './exports.service';

@ApiTags('exports')
@Controller('v1/exports')
@RequireScope(Scopes.read)
export class ExportsController {
  constructor(@Inject(ExportsService) private readonly exports: ExportsService) {}

  @Get()
  @ApiOperation({ summary: "The org's exports, newest first (those whose first chunk reached publication), filtered and cursor-paged" })
  @ApiQuery({ name: 'status', required: false, enum: EXPORT_STATUSES })
  @ApiQuery({ name: 'listId', required: false })
  @ApiQuery({ name: 'audienceId', required: false })
  @ApiQuery({ name: 'createdAfter', required: false, description: 'ISO 8601 date and time' })
  @ApiQuery({ name: 'createdBefore', required: false, description: 'ISO 8601 date and time' })
  @ApiQuery({ name: 'after', required: false, description: 'the cursor of the previous page (`next`)' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 1000, default 100' })
  list(
    @OrgId() orgId: string,
    @Query('status') status?: unknown,
    @Query('listId') listId?: unknown,
    @Query('audienceId') audienceId?: unknown,
    @Query('createdAfter') createdAfter?: unknown,
    @Query('createdBefore') createdBefore?: unknown,
    @Query('after') after?: unknown,
    @Query('limit') limit?: unknown,
  ) {
    return this.exports.list(orgId, { status, listId, audienceId, createdAfter, createdBefore }, after, limit);
  }

  @Get(':exportId')
  @ApiOperation({ summary: 'Status and account of an export: members, complement, blocked, delta, policy violations (preparing while identity-reconciliation makes the share, receiving until its chunks are in)' })
  get(
    @OrgId() orgId: string,
    @Param('exportId') exportId: string,
    @Headers('authorization') authorization?: string,
    @Headers('x-api-key') apiKey?: string,
    @Headers('x-gw-ims-org-id') org?: string,
  ) {
    return this.exports.get(orgId, exportId, { authorization, 'x-api-key': apiKey, 'x-gw-ims-org-id': org });
  }

  @Post(':exportId/complement')
  @RequireScope(Scopes.listsWrite)
  @HttpCode(201)
  @ApiOperation({ summary: "A list of the members the share reached without an identifier (201 {listId}, made in identity-reconciliation's lists); 409 when the audience was shared again since" })
  complement(
    @Param('exportId') exportId: string,
    @Headers('authorization') authorization?: string,
    @Headers('x-api-key') apiKey?: string,
    @Headers('x-gw-ims-org-id') org?: string,
  ) {
    const caller: CallerHeaders = { authorization, 'x-api-key': apiKey, 'x-gw-ims-org-id': org };
    return this.exports.complement(exportId, caller);
  }
}
