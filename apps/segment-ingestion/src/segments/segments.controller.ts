import { Body, Controller, Get, Inject, Param, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { DataUsageLabelSchema, SegmentIdSchema, Topics } from '@audx/contracts';
import { Errors, ServiceRuntime, ZodBody, decodeCursor, encodeCursor, parseLimit } from '@audx/platform';
import { SegmentsRepository } from './segments.repository';

const PutSegmentSchema = z.object({ name: z.string().trim().min(1).max(255), labels: z.array(DataUsageLabelSchema).max(100).default([]) }).strict();

@ApiTags('segments')
@Controller('v1/segments')
export class SegmentsController {
  constructor(
    @Inject(SegmentsRepository) private readonly segments: SegmentsRepository,
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
  ) {}

  @Put(':segmentId')
  @RequireScope(Scopes.configWrite)
  @ApiOperation({ summary: "Store a segment's name and data usage labels (published on segment.changed: the lists built from it take them)" })
  async put(@OrgId() orgId: string, @Param('segmentId') segmentId: string, @Body(new ZodBody(PutSegmentSchema)) body: z.infer<typeof PutSegmentSchema>) {
    if (!SegmentIdSchema.safeParse(segmentId).success) throw Errors.badRequest('segmentId: must be numeric');
    const labels = [...new Set(body.labels)];
    await this.runtime.transaction(async (manager, outbox) => {
      await this.segments.upsert(manager, orgId, segmentId, body.name, labels);
      outbox.add(Topics.segmentChanged, orgId, { name: segmentId, record: { name: body.name, labels, asOfSequence: await this.segments.lastImportSequence(manager) } });
    });
    return this.segments.find(orgId, segmentId);
  }

  @Get()
  @RequireScope(Scopes.read)
  @ApiOperation({ summary: 'Segments of the org' })
  async list(@OrgId() orgId: string, @Query('after') after?: string, @Query('limit') limit?: string) {
    const n = parseLimit(limit);
    const rows = await this.segments.list(orgId, (decodeCursor(after, 1)?.[0] as string | undefined) ?? null, n + 1);
    const items = rows.slice(0, n);
    return { items, next: rows.length > n ? encodeCursor([items[items.length - 1].segmentId]) : null };
  }

  @Get(':segmentId')
  @RequireScope(Scopes.read)
  async get(@OrgId() orgId: string, @Param('segmentId') segmentId: string) {
    const s = await this.segments.find(orgId, segmentId);
    if (!s) throw Errors.notFound(`segment ${segmentId}`);
    return s;
  }
}
