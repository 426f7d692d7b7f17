import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { ImportsService } from './imports.service';

@ApiTags('imports')
@Controller('v1/imports')
@RequireScope(Scopes.read)
export class ImportsController {
  constructor(@Inject(ImportsService) private readonly imports: ImportsService) {}

  @Get(':importId')
  @ApiOperation({ summary: 'The reconciliation report of an import' })
  get(@OrgId() orgId: string, @Param('importId') importId: string) {
    return this.imports.get(orgId, importId);
  }

  @Get(':importId/unmatched')
  @ApiOperation({
    summary: 'Every unmatched identifier with its reason (not_found, invalid, undecryptable, unknown_data_source)',
    description: 'Paged JSON {items:[{userId,reason}],next}; with Accept: application/x-ndjson, the whole list as a stream. 409 until the import is reconciled.',
  })
  @ApiProduces('application/json', 'application/x-ndjson')
  @ApiQuery({ name: 'after', required: false })
  @ApiQuery({ name: 'limit', required: false })
  async unmatched(
    @OrgId() orgId: string,
    @Param('importId') importId: string,
    @Req() req: Request,
    @Res() res: Response,
    @Query('after') after?: string,
    @Query('limit') limit?: string,
  ): Promise<void> {
    if ((req.header('accept') ?? '').includes('application/x-ndjson')) return this.imports.streamUnmatched(orgId, importId, res);
    res.status(200).json(await this.imports.unmatchedPage(orgId, importId, after, limit));
  }
}
