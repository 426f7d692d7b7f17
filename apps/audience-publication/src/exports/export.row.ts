import type { PolicyRecord } from '@audx/contracts';
import type { ExportMode } from '../outbound/outbound-plan';
import { iso, jsonArray, num, numOrNull } from '../common/sql';

export const EXPORT_STATUSES = ['receiving', 'assembled', 'publishing', 'published', 'rejected', 'superseded', 'failed'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** One export (a share of a list), as stored. */
export interface ExportRow {
  exportPk: number;
  orgId: string;
  exportId: string;
  listId: string;
  dataSource: string;
  segmentId: string | null;
  audienceName: string | null;
  audienceId: string;
  mode: ExportMode;
  labels: string[];
  exportControls: string[];
  dpid: number;
  status: ExportStatus;
  chunks: number | null;
  receivedChunks: number;
  stagedIdentifiers: number;
  invalidIdentifiers: number;
  members: number | null;
  withIdentifier: number | null;
  complement: number | null;
  blocked: number | null;
  identifiersTotal: number | null;
  audiencePk: number | null;
  version: number | null;
  stamp: number | null;
  outMaxLines: number | null;
  outGzip: boolean | null;
  size: number | null;
  added: number | null;
  removed: number | null;
  policyViolations: PolicyRecord[];
  error: string | null;
  /** A delta share: the export whose result it applies to. */
  baseExportId: string | null;
  /** When the share was requested (null for a producer that does not say). */
  sharedAt: string | null;
  createdAt: string;
  assembledAt: string | null;
  finishedAt: string | null;
}

export function toExportRow(r: Record<string, unknown>): ExportRow {
  return {
    exportPk: num(r.export_pk),
    orgId: String(r.org_id),
    exportId: String(r.export_id),
    listId: String(r.list_id),
    dataSource: String(r.data_source),
    segmentId: (r.segment_id as string | null) ?? null,
    audienceName: (r.audience_name as string | null) ?? null,
    audienceId: String(r.audience_id),
    mode: r.mode as ExportMode,
    labels: jsonArray<string>(r.labels),
    exportControls: jsonArray<string>(r.export_controls),
    dpid: num(r.dpid),
    status: r.status as ExportStatus,
    chunks: numOrNull(r.chunks),
    receivedChunks: num(r.received_chunks),
    stagedIdentifiers: num(r.staged_identifiers),
    invalidIdentifiers: num(r.invalid_identifiers),
    members: numOrNull(r.members),
    withIdentifier: numOrNull(r.with_identifier),
    complement: numOrNull(r.complement),
    blocked: numOrNull(r.blocked),
    identifiersTotal: numOrNull(r.identifiers_total),
    audiencePk: numOrNull(r.audience_pk),
    version: numOrNull(r.version),
    stamp: numOrNull(r.stamp),
    outMaxLines: numOrNull(r.out_max_lines),
    outGzip: r.out_gzip === null || r.out_gzip === undefined ? null : num(r.out_gzip) === 1,
    size: numOrNull(r.size),
    added: numOrNull(r.added),
    removed: numOrNull(r.removed),
    policyViolations: jsonArray<PolicyRecord>(r.policy_violations),
    error: (r.error as string | null) ?? null,
    baseExportId: (r.base_export_id as string | null) ?? null,
    sharedAt: iso(r.shared_at),
    createdAt: iso(r.created_at)!,
    assembledAt: iso(r.assembled_at),
    finishedAt: iso(r.finished_at),
  };
}
