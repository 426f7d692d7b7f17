import { Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import type { ShareRecord } from '@audx/contracts';
import { ExportsService } from './exports.service';

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
}
