import { Controller, Get, Inject, Param } from '@nestjs/common';
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
}
