import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { EntityManager } from 'typeorm';
import { isTopicName, outsideWriteScopeOf } from '@audx/contracts';
import { Errors, ServiceRuntime, newestFirstPage, queryText } from '@audx/platform';
import type { AuthContext } from '../claims';
import { CurrentAuth, OrgId, RequireScope } from '../decorators';
import { Scopes } from '../scopes';
import { DeadLetterRow, DeadLetterStatus, DeadLettersRepository } from './dead-letters.repository';

const STATUSES: readonly DeadLetterStatus[] = ['dead', 'replayed', 'discarded'];
/** A listing shows this much of each message; GET /v1/dead-letters/{id} shows all of it. */
const PREVIEW_CHARS = 2048;

const view = (r: DeadLetterRow, full: boolean) => {
  const { deadLetterPk: _, value, ...rest } = r;
  return { ...rest, value: full ? value : value.slice(0, PREVIEW_CHARS), valueTruncated: !full && value.length > PREVIEW_CHARS };
};

/**
 * The messages this service's consumers dead-lettered for the org (their reason, their fate), and
 * what an operator does with one: replay it to its topic (the consumer applies it again), or
 * discard it. Both are recorded with who did it (and in the audit trail).
 */
@ApiTags('dead letters')
@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(
    @Inject(DeadLettersRepository) private readonly letters: DeadLettersRepository,
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
  ) {}

  @Get()
  @RequireScope(Scopes.read)
  @ApiOperation({ summary: "Messages this service's consumers could not apply for the org, newest first, with the reason; cursor-paged" })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiQuery({ name: 'topic', required: false, description: 'the topic the message came from, such as segment.membership' })
  @ApiQuery({ name: 'after', required: false, description: 'the cursor of the previous page (`next`)' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 1000, default 100' })
  async list(@OrgId() orgId: string, @Query('status') status?: unknown, @Query('topic') topic?: unknown, @Query('after') after?: unknown, @Query('limit') limit?: unknown) {
    const s = queryText('status', status, 20);
    if (s !== undefined && !(STATUSES as readonly string[]).includes(s)) throw Errors.badRequest(`status: one of ${STATUSES.join(', ')}`);
    const filter = { status: s as DeadLetterStatus | undefined, topic: queryText('topic', topic, 200) };
    return newestFirstPage(after, limit, (r: DeadLetterRow) => r.deadLetterPk, (before, take) => this.letters.page(orgId, filter, before, take), (r) => view(r, false));
  }

  @Get(':deadLetterId')
  @RequireScope(Scopes.read)
  @ApiOperation({ summary: 'One dead letter, its whole message' })
  async get(@OrgId() orgId: string, @Param('deadLetterId') id: string) {
    const r = await this.letters.find(this.runtime.dataSource.manager, orgId, id);
    if (!r) throw Errors.notFound(`dead letter ${id}`);
    return view(r, true);
  }

  @Post(':deadLetterId/replay')
  @HttpCode(200)
  @RequireScope(Scopes.configWrite)
  @ApiOperation({ summary: 'Publish the message to its topic again (the consumer applies it, or dead-letters it anew); 409 once handled' })
  async replay(@OrgId() orgId: string, @CurrentAuth() auth: AuthContext, @Param('deadLetterId') id: string) {
    return this.runtime.dataSource.transaction(async (manager) => {
      const r = await this.handleable(manager, orgId, id);
      if (!isTopicName(r.topic)) throw Errors.conflict(`topic ${r.topic} is no longer one this service knows`);
      if (outsideWriteScopeOf(r.topic)) {
        throw Errors.conflict(`an event of ${r.topic} comes from an outside producer with its own token, which is never kept: ask its producer to send it again, then discard this one`);
      }
      // the row stays locked while Kafka takes it: two replays of one dead letter cannot both go
      await this.runtime.producer.sendRaw([{ topic: r.topic, key: r.key, value: r.value, headers: { ...r.headers, 'x-replayed-from': r.deadLetterId, 'x-replayed-by': auth.clientId } }]);
      await this.letters.mark(manager, r.deadLetterPk, 'replayed', auth.clientId);
      return view((await this.letters.find(manager, orgId, id))!, false);
    });
  }

  @Post(':deadLetterId/discard')
  @HttpCode(200)
  @RequireScope(Scopes.configWrite)
  @ApiOperation({ summary: 'Mark the message as dealt with, without applying it; 409 once handled' })
  async discard(@OrgId() orgId: string, @CurrentAuth() auth: AuthContext, @Param('deadLetterId') id: string) {
    return this.runtime.dataSource.transaction(async (manager) => {
      const r = await this.handleable(manager, orgId, id);
      await this.letters.mark(manager, r.deadLetterPk, 'discarded', auth.clientId);
      return view((await this.letters.find(manager, orgId, id))!, false);
    });
  }

  private async handleable(manager: EntityManager, orgId: string, id: string): Promise<DeadLetterRow> {
    const r = await this.letters.find(manager, orgId, id, true);
    if (!r) throw Errors.notFound(`dead letter ${id}`);
    if (r.status !== 'dead') throw Errors.conflict(`dead letter ${id} was ${r.status} by ${r.handledBy} at ${r.handledAt}`);
    return r;
  }
}
