import type { SegmentReconciled } from '@audx/contracts';
import type { ImportRow } from './imports.repository';
import { Receipt, ReceiptView } from './receipt';

export interface Reconciliation {
  matched: number;
  unmatched: number;
  invalid: number;
  matchRate: number | null;
  lists: SegmentReconciled['lists'];
}

export interface ImportView {
  importId: string;
  status: string;
  source: string;
  dataSource: string;
  format: string;
  mode: string;
  fileName: string | null;
  receipt: ReceiptView;
  reconciliation: Reconciliation | null;
  errors: { line: number; reason: string }[];
  policyViolations: unknown[];
  failureReason: string | null;
  createdAt: string;
  finishedAt: string | null;
}

const parse = <T>(text: string | null, fallback: T): T => (text ? (JSON.parse(text) as T) : fallback);

/** The match figures kept on a completed import (system.md: matchRate = matched / (matched + unmatched)). */
export function reconciliationOf({ matched, unmatched, invalid, lists }: SegmentReconciled): Reconciliation {
  const matchRate = matched + unmatched === 0 ? null : Math.round((matched / (matched + unmatched)) * 10000) / 10000;
  return { matched, unmatched, invalid, matchRate, lists };
}

export function toImportView(r: ImportRow): ImportView {
  return {
    importId: r.import_id,
    status: r.status,
    source: r.source,
    dataSource: r.data_source,
    format: r.format,
    mode: r.mode,
    fileName: r.file_name,
    // always an object (system.md): zeros until the first lines are counted
    receipt: parse(r.receipt, new Receipt().view()),
    reconciliation: parse(r.reconciliation, null),
    errors: parse(r.errors, []),
    policyViolations: parse(r.policy_violations, []),
    failureReason: r.failure_reason,
    createdAt: new Date(r.created_at).toISOString(),
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  };
}
