import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { APP_CONFIG, Errors, ZodBody } from '@audx/platform';
import { ndjsonBody } from '../common/ndjson';
import type { IdentityConfig } from '../config';
import { ExportsService } from '../exports/exports.service';
import {
  CreateListBody,
  CreateListDto,
  CreateListSchema,
  CreatedListView,
  ListPage,
  ListView,
  MemberPage,
  PatchListBody,
  PatchListDto,
  PatchListSchema,
  ShareListBody,
  ShareListDto,
  ShareListSchema,
} from './lists.dto';
import type { ListFilter } from './lists.repository';
import { ListsService } from './lists.service';

/** The filters of GET /v1/lists: each given once, as text (a repeated or empty one is a 400). */
function listFilter(raw: Record<keyof ListFilter, unknown>): ListFilter {
  const out: ListFilter = {};
  for (const key of Object.keys(raw) as (keyof ListFilter)[]) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length === 0 || v.length > 255) throw Errors.badRequest(`${key}: give it once, 1 to 255 characters`);
    out[key] = v;
  }
  return out;
}

@ApiTags('lists')
@Controller('v1/lists')
export class ListsController {
  constructor(
    @Inject(ListsService) private readonly lists: ListsService,
    @Inject(ExportsService) private readonly exports: ExportsService,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
  ) {}

  @Get()
  @RequireScope(Scopes.read)
  @ApiQuery({ name: 'after', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'name', required: false, description: 'exact name' })
  @ApiQuery({ name: 'segmentId', required: false })
  @ApiQuery({ name: 'dataSource', required: false })
  @ApiOkResponse({ type: ListPage })
  list(
    @OrgId() orgId: string,
    @Query('after') after?: string,
    @Query('limit') limit?: string,
    @Query('name') name?: unknown,
    @Query('segmentId') segmentId?: unknown,
    @Query('dataSource') dataSource?: unknown,
  ): Promise<ListPage> {
    return this.lists.list(orgId, after, limit, listFilter({ name, segmentId, dataSource }));
  }

  @Get(':listId')
  @RequireScope(Scopes.read)
  @ApiOkResponse({ type: ListView })
  get(@OrgId() orgId: string, @Param('listId') listId: string): Promise<ListView> {
    return this.lists.get(orgId, listId);
  }

  @Patch(':listId')
  @RequireScope(Scopes.listsWrite)
  @ApiOperation({ summary: "Rename a list and/or set its own data usage labels (its segment's labels stay; the export gate judges both)" })
  @ApiBody({ type: PatchListBody })
  @ApiOkResponse({ type: ListView })
  update(@OrgId() orgId: string, @Param('listId') listId: string, @Body(new ZodBody(PatchListSchema)) body: PatchListDto): Promise<ListView> {
    return this.lists.update(orgId, listId, body);
  }

  @Delete(':listId')
  @HttpCode(204)
  @RequireScope(Scopes.listsWrite)
  @ApiOperation({ summary: 'Delete a list: gone at once, its members purged in the background; its published audiences stay as they are (list.updated cause deleted)' })
  async remove(@OrgId() orgId: string, @Param('listId') listId: string): Promise<void> {
    await this.lists.remove(orgId, listId);
  }

  @Post(':listId/members')
  @HttpCode(200)
  @RequireScope(Scopes.listsWrite)
  @ApiOperation({ summary: 'Add recipients to a list made by hand: NDJSON {"recipientId"} per line, each line\'s fate reported' })
  @ApiConsumes('application/x-ndjson')
  @ApiBody({ schema: { type: 'string' } })
  addMembers(@OrgId() orgId: string, @Param('listId') listId: string, @Req() req: Request) {
    return this.lists.editMembers(orgId, listId, this.ndjson(req), true);
  }

  @Delete(':listId/members')
  @HttpCode(200)
  @RequireScope(Scopes.listsWrite)
  @ApiOperation({ summary: 'Remove recipients from a list made by hand: NDJSON {"recipientId"} per line, each line\'s fate reported' })
  @ApiConsumes('application/x-ndjson')
  @ApiBody({ schema: { type: 'string' } })
  removeMembers(@OrgId() orgId: string, @Param('listId') listId: string, @Req() req: Request) {
    return this.lists.editMembers(orgId, listId, this.ndjson(req), false);
  }

  private ndjson(req: Request) {
    return ndjsonBody(req, { maxBytes: this.config.NDJSON_MAX_BYTES, maxLineBytes: this.config.NDJSON_MAX_LINE_BYTES });
  }

  @Get(':listId/members')
  @RequireScope(Scopes.read)
  @ApiQuery({ name: 'after', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiOkResponse({ type: MemberPage })
  members(@OrgId() orgId: string, @Param('listId') listId: string, @Query('after') after?: string, @Query('limit') limit?: string): Promise<MemberPage> {
    return this.lists.members(orgId, listId, after, limit);
  }

  @Post()
  @RequireScope(Scopes.listsWrite)
  @ApiOperation({ summary: 'Create a list from recipient ids or from a query (equality, in-list, exists over fields and attributes)' })
  @ApiBody({ type: CreateListBody })
  @ApiCreatedResponse({ type: CreatedListView })
  create(@OrgId() orgId: string, @Body(new ZodBody(CreateListSchema)) body: CreateListDto): Promise<CreatedListView> {
    return this.lists.create(orgId, body);
  }

  @Post(':listId/share')
  @HttpCode(202)
  @RequireScope(Scopes.listsWrite)
  @ApiOperation({ summary: "Resolve every member to the data source's identifier and emit list.exported chunks (all or nothing)" })
  @ApiBody({ type: ShareListBody })
  @ApiAcceptedResponse({ schema: { properties: { exportId: { type: 'string' } } } })
  share(@OrgId() orgId: string, @Param('listId') listId: string, @Body(new ZodBody(ShareListSchema)) body: ShareListDto): Promise<{ exportId: string }> {
    return this.exports.share(orgId, listId, body);
  }
}
