import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { newestFirstPage, queryText, queryTime } from '@audx/platform';
import { OrgId, RequireScope } from '../decorators';
import { Scopes } from '../scopes';
import { AuditFilter, AuditRepository, AuditRow } from './audit.repository';

@ApiTags('audit')
@Controller('v1/audit')
export class AuditController {
  constructor(@Inject(AuditRepository) private readonly audit: AuditRepository) {}

  @Get()
  @RequireScope(Scopes.read)
  @ApiOperation({ summary: "Who changed what in this service for the org, newest first: calls that change state and outside producers' events; cursor-paged" })
  @ApiQuery({ name: 'action', required: false, description: 'exact, such as "DELETE /v1/lists/:listId" or "event segment.membership"' })
  @ApiQuery({ name: 'target', required: false, description: 'exact path or topic' })
  @ApiQuery({ name: 'from', required: false, description: 'ISO 8601: entries after it' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO 8601: entries before it' })
  @ApiQuery({ name: 'after', required: false, description: 'the cursor of the previous page (`next`)' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 1000, default 100' })
  async list(
    @OrgId() orgId: string,
    @Query('action') action?: unknown,
    @Query('target') target?: unknown,
    @Query('from') from?: unknown,
    @Query('to') to?: unknown,
    @Query('after') after?: unknown,
    @Query('limit') limit?: unknown,
  ) {
    const filter: AuditFilter = { action: queryText('action', action, 128), target: queryText('target', target, 512), after: queryTime('from', from), before: queryTime('to', to) };
    return newestFirstPage(after, limit, (e: AuditRow) => e.auditPk, (before, take) => this.audit.page(orgId, filter, before, take), ({ auditPk: _, ...entry }) => entry);
  }
}
