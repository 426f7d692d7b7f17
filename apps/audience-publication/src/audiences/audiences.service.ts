import { lstat } from 'node:fs/promises';
import { Inject, Injectable, StreamableFile } from '@nestjs/common';
import { Errors, decodeCursor, encodeCursor, openNoFollow, parseLimit } from '@audx/platform';
import { MAX_KEPT_VERSIONS } from '../config';
import { OutboundFileWriter } from '../outbound/outbound-file-writer';
import { type AudienceRow, type VersionRow, versionFileNames } from './audience.row';
import { AudiencesRepository } from './audiences.repository';
import { MembershipRepository } from './membership.repository';

const AUDIENCE_ID = /^aud_[0-9a-f]{24}$/;

export function audienceView(a: AudienceRow) {
  return {
    audienceId: a.audienceId,
    name: a.name,
    dataSource: a.dataSource,
    segmentId: a.segmentId,
    size: a.size,
    version: a.currentVersion,
    dpid: a.dpid,
    sid: a.sid,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

export function versionView(v: VersionRow) {
  return {
    version: v.version,
    mode: v.mode,
    size: v.size,
    added: v.added,
    removed: v.removed,
    publishedAt: v.publishedAt,
    exportId: v.exportId,
    files: v.files,
    infoFile: v.infoFile,
    ...(v.removalInfoFile ? { removalInfoFile: v.removalInfoFile } : {}),
  };
}

@Injectable()
export class AudiencesService {
  constructor(
    @Inject(AudiencesRepository) private readonly audiences: AudiencesRepository,
    @Inject(MembershipRepository) private readonly membership: MembershipRepository,
    @Inject(OutboundFileWriter) private readonly files: OutboundFileWriter,
  ) {}

  async list(orgId: string, after?: string, limit?: string) {
    const n = parseLimit(limit);
    const cursor = decodeCursor(after, 1);
    const rows = await this.audiences.page(orgId, cursor ? String(cursor[0]) : null, n + 1);
    const items = rows.slice(0, n);
    return { items: items.map(audienceView), next: rows.length > n ? encodeCursor([items[items.length - 1].audienceId]) : null };
  }

  async get(orgId: string, audienceId: string) {
    return audienceView(await this.audience(orgId, audienceId));
  }

  /**
   * Kept versions, newest first, as the bare array system.md fixes for this path: at most
   * AUDIENCE_KEEP_VERSIONS (1000 at most) of them, so the answer needs no paging.
   */
  async versions(orgId: string, audienceId: string) {
    const a = await this.audience(orgId, audienceId);
    return (await this.audiences.versions(a.audiencePk, null, MAX_KEPT_VERSIONS)).map(versionView);
  }

  /** Members of a kept version (default: the latest), in identifier order; the cursor pins the version. */
  async members(orgId: string, audienceId: string, version?: string, after?: string, limit?: string) {
    const a = await this.audience(orgId, audienceId);
    const n = parseLimit(limit, 1000, 10_000);
    const cursor = decodeCursor(after, 2);
    let v = version === undefined || version === '' ? a.currentVersion : parseVersion(version);
    if (cursor) {
      if (version !== undefined && version !== '' && Number(cursor[0]) !== v) throw Errors.badRequest('after: the cursor belongs to another version');
      v = Number(cursor[0]);
    }
    await this.keptVersion(a, v);
    const rows = await this.membership.membersAt(a.audiencePk, v, cursor ? String(cursor[1]) : null, n + 1);
    const items = rows.slice(0, n);
    return { version: v, items, next: rows.length > n ? encodeCursor([v, items[items.length - 1]]) : null };
  }

  /** A recorded file of a kept version; the name is looked up in the version's record, never used as a path. */
  async file(orgId: string, audienceId: string, version: string, fileName: string): Promise<StreamableFile> {
    const a = await this.audience(orgId, audienceId);
    const v = await this.keptVersion(a, parseVersion(version));
    const recorded = versionFileNames(v).find((name) => name === fileName);
    if (!recorded) throw Errors.notFound(`file ${fileName.slice(0, 100)} of version ${v.version}`);
    // never through a link: the org's folder is the org's to write in, and a file swapped for a
    // link (or the folder itself) would serve whatever the link points at
    const folder = await lstat(this.files.orgDir(orgId)).catch(() => null);
    const handle = folder?.isDirectory() ? await openNoFollow(this.files.pathOf(orgId, recorded)).catch(() => null) : null;
    if (!handle) throw Errors.notFound(`file ${recorded} (no longer in the outbox folder)`);
    const { size } = await handle.stat();
    const type = recorded.endsWith('.gz') ? 'application/gzip' : recorded.endsWith('.info') ? 'application/json' : 'text/plain; charset=utf-8';
    return new StreamableFile(handle.createReadStream(), { type, length: size, disposition: `attachment; filename="${recorded}"` });
  }

  private async audience(orgId: string, audienceId: string): Promise<AudienceRow> {
    const a = AUDIENCE_ID.test(audienceId) ? await this.audiences.find(orgId, audienceId) : null;
    if (!a) throw Errors.notFound(`audience ${audienceId.slice(0, 100)}`);
    return a;
  }

  private async keptVersion(a: AudienceRow, version: number): Promise<VersionRow> {
    const v = await this.audiences.version(a.audiencePk, version);
    if (!v) throw Errors.notFound(`version ${version} of audience ${a.audienceId} (never published, or pruned)`);
    return v;
  }
}

function parseVersion(raw: string): number {
  const v = Number(raw);
  if (!/^[0-9]{1,9}$/.test(raw) || !Number.isInteger(v) || v < 1) throw Errors.badRequest('version: must be a positive integer');
  return v;
}
