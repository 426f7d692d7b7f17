import { Body, Controller, Get, Headers, Inject, Param, Put } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { OrgId, RequireScope, Scopes } from '@audx/auth';
import { Errors, ZodBody } from '@audx/platform';
import { AudiencesRepository } from '../audiences/audiences.repository';
import { ExportsRepository } from '../exports/exports.repository';
import { CallerHeaders, ShareLookup } from '../exports/share-lookup';

const SyncSchema = z.object({ enabled: z.boolean(), debounceSeconds: z.number().int().min(1).max(86400).optional() }).strict();

/**
 * Whether an audience follows its list: identity-reconciliation, which sees the list change, keeps
 * the setting and makes the shares; this answers it for the audience, with the version the list
 * was last shared at.
 */
@ApiTags('audiences')
@Controller('v1/audiences')
export class AudienceSyncController {
  constructor(
    @Inject(AudiencesRepository) private readonly audiences: AudiencesRepository,
    @Inject(ExportsRepository) private readonly exports: ExportsRepository,
    @Inject(ShareLookup) private readonly identity: ShareLookup,
  ) {}

  @Get(':audienceId/sync')
  @RequireScope(Scopes.read)
  @ApiOperation({ summary: 'Whether the audience is kept in sync with its list, its debounce, and the version its list was last shared at' })
  async get(
    @OrgId() orgId: string,
    @Param('audienceId') audienceId: string,
    @Headers('authorization') authorization?: string,
    @Headers('x-api-key') apiKey?: string,
    @Headers('x-gw-ims-org-id') org?: string,
  ) {
    await this.requireAudience(orgId, audienceId);
    return this.withVersion(orgId, await this.identity.syncOf(audienceId, { authorization, 'x-api-key': apiKey, 'x-gw-ims-org-id': org }));
  }

  @Put(':audienceId/sync')
  @RequireScope(Scopes.listsWrite)
  @ApiOperation({ summary: 'Keep the audience in sync with its list (every change publishes a delta after the debounce), or stop' })
  @ApiBody({ schema: { type: 'object', required: ['enabled'], properties: { enabled: { type: 'boolean' }, debounceSeconds: { type: 'integer', minimum: 1, maximum: 86400 } } } })
  async put(
    @OrgId() orgId: string,
    @Param('audienceId') audienceId: string,
    @Body(new ZodBody(SyncSchema)) body: z.infer<typeof SyncSchema>,
    @Headers('authorization') authorization?: string,
    @Headers('x-api-key') apiKey?: string,
    @Headers('x-gw-ims-org-id') org?: string,
  ) {
    await this.requireAudience(orgId, audienceId);
    const caller: CallerHeaders = { authorization, 'x-api-key': apiKey, 'x-gw-ims-org-id': org };
    return this.withVersion(orgId, await this.identity.setSync(audienceId, body, caller));
  }

  private async requireAudience(orgId: string, audienceId: string): Promise<void> {
    if (audienceId.length > 191 || !(await this.audiences.find(orgId, audienceId))) throw Errors.notFound('audience');
  }

  private async withVersion<T extends { lastExportId: string | null }>(orgId: string, sync: T) {
    const last = sync.lastExportId ? await this.exports.find(orgId, sync.lastExportId) : null;
    return { ...sync, lastSharedVersion: last?.status === 'published' ? last.version : null };
  }
}
