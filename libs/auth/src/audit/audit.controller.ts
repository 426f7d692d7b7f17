import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Errors, decodeCursor, encodeCursor, parseLimit } from '@audx/platform';
import { OrgId, RequireScope } from '../decorators';
import { Scopes } from '../scopes';
import { AuditFilter, AuditRepository } from './audit.repository';

const text = (name: string, v: unknown, max: number): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw Errors.badRequest(`${name}: give it once, 1 to ${max} characters`);
  return v;
};

const time = (name: string, v: unknown): Date | undefined => {
  const t = text(name, v, 40);
  if (t === undefined) return undefined;
  const at = new Date(t);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(t) || Number.isNaN(at.getTime())) throw Errors.badRequest(`${name}: an ISO 8601 date and time, such as 2026-12-07T10:00:00Z`);
  return at;
};

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
    const filter: AuditFilter = { action: text('action', action, 128), target: text('target', target, 512), after: time('from', from), before: time('to', to) };
    if ((after !== undefined && typeof after !== 'string') || (limit !== undefined && typeof limit !== 'string')) throw Errors.badRequest('after and limit: give each at most once');
    const n = parseLimit(limit as string | undefined);
    const cursor = decodeCursor(after as string | undefined, 1);
    if (cursor && (typeof cursor[0] !== 'number' || !Number.isInteger(cursor[0]))) throw Errors.badRequest('after: invalid cursor');
    const rows = await this.audit.page(orgId, filter, cursor ? Number(cursor[0]) : null, n + 1);
    const items = rows.slice(0, n);
    return {
      items: items.map(({ auditPk: _, ...entry }) => entry),
      next: rows.length > n ? encodeCursor([items[items.length - 1].auditPk]) : null,
    };
  }
}
