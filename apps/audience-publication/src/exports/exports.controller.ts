import { Controller, Get, Headers, Inject, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { ExportsService } from './exports.service';

@ApiTags('exports')
@Controller('v1/exports')
@RequireScope(Scopes.read)
export class ExportsController {
  constructor(@Inject(ExportsService) private readonly exports: ExportsService) {}

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
}
