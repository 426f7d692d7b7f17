import type { ImportRow } from './imports.repository';

export interface ImportView {
  importId: string;
  status: string;
  source: string;
  dataSource: string;
  format: string;
  mode: string;
  fileName: string | null;
  receipt: unknown;
  reconciliation: { matched: number; unmatched: number; matchRate: number | null } | null;
  errors: { line: number; reason: string }[];
  policyViolations: unknown[];
  failureReason: string | null;
  createdAt: string;
  finishedAt: string | null;
}

const parse = <T>(text: string | null, fallback: T): T => (text ? (JSON.parse(text) as T) : fallback);

export function toImportView(r: ImportRow): ImportView {
  return {
    importId: r.import_id,
    status: r.status,
    source: r.source,
    dataSource: r.data_source,
    format: r.format,
    mode: r.mode,
    fileName: r.file_name,
    receipt: parse(r.receipt, null),
    reconciliation: parse(r.reconciliation, null),
    errors: parse(r.errors, []),
    policyViolations: parse(r.policy_violations, []),
    failureReason: r.failure_reason,
    createdAt: new Date(r.created_at).toISOString(),
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  };
}
