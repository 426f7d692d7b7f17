import { Body, Controller, Get, Inject, Param, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { DenyExpressionSchema, Topics, violatedPolicies } from '@audx/contracts';
import { Errors, ServiceRuntime, ZodBody, decodeCursor, encodeCursor, parseLimit } from '@audx/platform';
import { PoliciesRepository } from './policies.repository';

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const PutPolicySchema = z
  .object({
    marketingAction: z.string().regex(/^[A-Za-z0-9 _.-]{1,100}$/, 'letters, digits, space, _ . - only'),
    status: z.enum(['ENABLED', 'DRAFT']),
    deny: DenyExpressionSchema,
  })
  .strict();
const EvaluateSchema = z
  .object({ marketingAction: z.string().min(1).max(100), labels: z.string().max(2000).default('') })
  .strict();

@ApiTags('policies')
@Controller('v1/policies')
export class PoliciesController {
  constructor(
    @Inject(PoliciesRepository) private readonly policies: PoliciesRepository,
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
  ) {}

  @Put(':name')
  @RequireScope(Scopes.configWrite)
  @ApiOperation({ summary: 'Store a data usage policy (published on policy.changed)' })
  async put(@OrgId() orgId: string, @Param('name') name: string, @Body(new ZodBody(PutPolicySchema)) body: z.infer<typeof PutPolicySchema>) {
    if (!NAME.test(name)) throw Errors.badRequest('name: letters, digits, _ . - only, at most 100');
    const record = { name, ...body };
    await this.runtime.transaction(async (manager, outbox) => {
      await this.policies.upsert(manager, orgId, record);
      outbox.add(Topics.policyChanged, orgId, { name, record: body });
    });
    return this.policies.find(orgId, name);
  }

  @Get()
  @RequireScope(Scopes.read)
  async list(@OrgId() orgId: string, @Query('after') after?: string, @Query('limit') limit?: string) {
    const n = parseLimit(limit);
    const rows = await this.policies.list(orgId, (decodeCursor(after, 1)?.[0] as string | undefined) ?? null, n + 1);
    const items = rows.slice(0, n);
    return { items, next: rows.length > n ? encodeCursor([items[items.length - 1].name]) : null };
  }

  @Get('evaluate')
  @RequireScope(Scopes.read)
  @ApiOperation({ summary: 'The enabled policies of a marketing action that the labels violate' })
  async evaluate(@OrgId() orgId: string, @Query() query: unknown) {
    const q = new ZodBody(EvaluateSchema).transform(query);
    const labels = q.labels.split(',').map((l) => l.trim()).filter(Boolean);
    const enabled = await this.policies.enabledFor(orgId, q.marketingAction);
    return { violatedPolicies: violatedPolicies(enabled, q.marketingAction, labels) };
  }

  @Get(':name')
  @RequireScope(Scopes.read)
  async get(@OrgId() orgId: string, @Param('name') name: string) {
    const p = await this.policies.find(orgId, name);
    if (!p) throw Errors.notFound(`policy ${name}`);
    return p;
  }
}
