import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { ZodBody } from '@audx/platform';
import { ImportQuerySchema, ListImportsQuerySchema } from './import-request';
import { ImportsService } from './imports.service';

@ApiTags('imports')
@Controller('v1/imports')
export class ImportsController {
  constructor(@Inject(ImportsService) private readonly imports: ImportsService) {}

  @Post()
  @HttpCode(202)
  @RequireScope(Scopes.segmentsImport)
  @ApiOperation({ summary: 'Import a shared audience file (streamed; AAM outbound, AAM inbound or NDJSON; plain or gzip)' })
  @ApiConsumes('text/plain', 'application/gzip', 'application/x-ndjson')
  @ApiAcceptedResponse({ description: 'every line is durably handed on to reconciliation' })
  async create(@OrgId() orgId: string, @Query() query: unknown, @Req() req: Request) {
    const q = new ZodBody(ImportQuerySchema).transform(query);
    const length = req.header('content-length') ? Number(req.header('content-length')) : null;
    const meta = { ...q, contentType: req.header('content-type') ?? null, contentEncoding: req.header('content-encoding') ?? null, correlationId: req.header('x-request-id') ?? null };
    const view = await this.imports.importStream(orgId, 'api', meta, req, length);
    return { importId: view.importId, status: view.status, receipt: view.receipt, errors: view.errors, policyViolations: view.policyViolations };
  }

  @Get()
  @RequireScope(Scopes.read)
  @ApiOperation({ summary: 'Imports of the org, newest first (filter by status and date)' })
  list(@OrgId() orgId: string, @Query() query: unknown) {
    return this.imports.list(orgId, new ZodBody(ListImportsQuerySchema).transform(query));
  }

  @Get(':importId')
  @RequireScope(Scopes.read)
  @ApiOperation({ summary: 'One import with its receipt and reconciliation figures' })
  get(@OrgId() orgId: string, @Param('importId') importId: string) {
    return this.imports.get(orgId, importId);
  }
}
