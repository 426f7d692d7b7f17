import type { WrittenFile } from '../outbound/outbound-file-writer';
import type { ExportMode } from '../outbound/outbound-plan';
import { iso, jsonArray, num, numOrNull } from '../common/sql';

export interface AudienceRow {
  audiencePk: number;
  orgId: string;
  audienceId: string;
  name: string;
  dataSource: string;
  segmentId: string | null;
  audienceName: string | null;
  sid: string;
  dpid: number;
  currentVersion: number;
  size: number;
  pendingExportPk: number | null;
  /** sharedAt of the newest share published or being published. */
  lastSharedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface VersionRow {
  audiencePk: number;
  version: number;
  orgId: string;
  exportId: string;
  mode: ExportMode;
  size: number;
  added: number;
  removed: number;
  stamp: number;
  files: WrittenFile[];
  infoFile: string | null;
  /** The removal `.sync`'s control file of a full share that dropped members. */
  removalInfoFile: string | null;
  publishedAt: string;
}

export function toAudienceRow(r: Record<string, unknown>): AudienceRow {
  return {
    audiencePk: num(r.audience_pk),
    orgId: String(r.org_id),
    audienceId: String(r.audience_id),
    name: String(r.name),
    dataSource: String(r.data_source),
    segmentId: (r.segment_id as string | null) ?? null,
    audienceName: (r.audience_name as string | null) ?? null,
    sid: String(r.sid),
    dpid: num(r.dpid),
    currentVersion: num(r.current_version),
    size: num(r.size),
    pendingExportPk: numOrNull(r.pending_export_pk),
    lastSharedAt: iso(r.last_shared_at),
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

export function toVersionRow(r: Record<string, unknown>): VersionRow {
  return {
    audiencePk: num(r.audience_pk),
    version: num(r.version),
    orgId: String(r.org_id),
    exportId: String(r.export_id),
    mode: r.mode as ExportMode,
    size: num(r.size),
    added: num(r.added),
    removed: num(r.removed),
    stamp: num(r.stamp),
    files: jsonArray<WrittenFile>(r.files),
    infoFile: (r.info_file as string | null) ?? null,
    removalInfoFile: (r.removal_info_file as string | null) ?? null,
    publishedAt: iso(r.published_at)!,
  };
}

/** Every file a version wrote: data files, then control files. */
export function versionFileNames(v: Pick<VersionRow, 'files' | 'infoFile' | 'removalInfoFile'>): string[] {
  return [...v.files.map((f) => f.fileName), ...[v.infoFile, v.removalInfoFile].filter((f): f is string => f !== null)];
}
