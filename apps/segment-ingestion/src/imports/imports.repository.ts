import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { SqlConditions } from '@audx/platform';
import { LineError, Receipt, ReceiptView } from './receipt';

export type ImportStatus = 'receiving' | 'reconciling' | 'completed' | 'failed' | 'rejected';
export type ImportSource = 'api' | 'inbox' | 'stream';

export interface ImportRow {
  seq: string;
  import_id: string;
  org_id: string;
  status: ImportStatus;
  source: ImportSource;
  data_source: string;
  format: string;
  mode: 'iter' | 'full';
  file_name: string | null;
  receipt: string | null;
  errors: string | null;
  policy_violations: string | null;
  reconciliation: string | null;
  failure_reason: string | null;
  /** Set just before the last chunk is sent: from then on reconciliation may apply the import. */
  last_chunk_at: Date | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export interface NewImport {
  importId: string;
  orgId: string;
  status: ImportStatus;
  source: ImportSource;
  dataSource: string;
  format: string;
  mode: 'iter' | 'full';
  fileName: string | null;
}

export interface ImportFilter {
  status?: ImportStatus;
  from?: Date;
  to?: Date;
  beforeSeq?: string;
  limit: number;
}

/** SQL for import jobs; every read is scoped by org. */
@Injectable()
export class ImportsRepository {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  /** Inserts the job (its receipt all zeros) and returns its acceptance sequence. */
  async create(job: NewImport, manager: EntityManager = this.db.manager): Promise<string> {
    const r = await manager.query(
      'INSERT INTO imports (import_id, org_id, status, source, data_source, format, mode, file_name, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [job.importId, job.orgId, job.status, job.source, job.dataSource, job.format, job.mode, job.fileName, JSON.stringify(new Receipt().view())],
    );
    return String((r as { insertId: number | string }).insertId);
  }

  /** Imports per status, every org (the metrics' figures). */
  async countByStatus(): Promise<Map<string, number>> {
    const rows: { status: string; n: string }[] = await this.db.query('SELECT status, COUNT(*) AS n FROM imports GROUP BY status');
    return new Map(rows.map((r) => [r.status, Number(r.n)]));
  }

  async find(orgId: string, importId: string): Promise<ImportRow | null> {
    const rows: ImportRow[] = await this.db.query('SELECT * FROM imports WHERE org_id = ? AND import_id = ?', [orgId, importId]);
    return rows[0] ?? null;
  }

  async list(orgId: string, f: ImportFilter): Promise<ImportRow[]> {
    const w = new SqlConditions().when('org_id = ?', orgId).when('status = ?', f.status).when('created_at >= ?', f.from).when('created_at < ?', f.to).when('seq < ?', f.beforeSeq);
    return this.db.query(`SELECT * FROM imports WHERE ${w.sql} ORDER BY seq DESC LIMIT ?`, [...w.params, f.limit]);
  }

  async touch(seq: string): Promise<void> {
    await this.db.query("UPDATE imports SET updated_at = CURRENT_TIMESTAMP(3) WHERE seq = ? AND status = 'receiving'", [seq]);
  }

  async saveReceipt(seq: string, receipt: ReceiptView, errors: LineError[], violations: unknown[]): Promise<void> {
    await this.db.query('UPDATE imports SET receipt = ?, errors = ?, policy_violations = ?, updated_at = CURRENT_TIMESTAMP(3) WHERE seq = ?', [
      JSON.stringify(receipt),
      JSON.stringify(errors),
      JSON.stringify(violations),
      seq,
    ]);
  }

  /** receiving -> reconciling; a no-op when the reconciliation already completed it. */
  async markHandedOn(seq: string, manager: EntityManager = this.db.manager): Promise<void> {
    await manager.query("UPDATE imports SET status = 'reconciling', updated_at = CURRENT_TIMESTAMP(3) WHERE seq = ? AND status = 'receiving'", [seq]);
  }

  /** A streamed import, whole in its creating transaction: its receipt, then reconciling. */
  async handOnStreamed(manager: EntityManager, seq: string, receipt: ReceiptView, violations: unknown[]): Promise<void> {
    await manager.query("UPDATE imports SET status = 'reconciling', receipt = ?, errors = '[]', policy_violations = ?, updated_at = CURRENT_TIMESTAMP(3) WHERE seq = ?", [
      JSON.stringify(receipt),
      JSON.stringify(violations),
      seq,
    ]);
  }

  /** A streamed import refused whole (its data source is unknown), in its creating transaction. */
  async rejectStreamed(manager: EntityManager, seq: string, reason: string, receipt: ReceiptView): Promise<void> {
    await manager.query("UPDATE imports SET status = 'rejected', failure_reason = ?, receipt = ?, finished_at = CURRENT_TIMESTAMP(3), updated_at = CURRENT_TIMESTAMP(3) WHERE seq = ?", [
      reason.slice(0, 500),
      JSON.stringify(receipt),
      seq,
    ]);
  }

  /**
   * Records that the import's last chunk is about to be sent (see markCompleted). Whatever the
   * status: a sweep may have failed a slow but live import, and the chunk still goes.
   */
  async markLastChunkSending(orgId: string, importId: string): Promise<void> {
    await this.db.query('UPDATE imports SET last_chunk_at = CURRENT_TIMESTAMP(3), updated_at = CURRENT_TIMESTAMP(3) WHERE org_id = ? AND import_id = ?', [orgId, importId]);
  }

  /** Removes an import that never handed anything on (refused for its content, answered at once). */
  async delete(seq: string): Promise<void> {
    await this.forgetLineHashes(seq);
    await this.db.query("DELETE FROM imports WHERE seq = ? AND status = 'receiving'", [seq]);
  }

  async markEnded(seq: string, status: 'failed' | 'rejected', reason: string): Promise<void> {
    await this.db.query(
      "UPDATE imports SET status = ?, failure_reason = ?, finished_at = CURRENT_TIMESTAMP(3), updated_at = CURRENT_TIMESTAMP(3) WHERE seq = ? AND status = 'receiving'",
      [status, reason.slice(0, 500), seq],
    );
  }

  /**
   * Reconciliation applied the import. Only a `receiving` or `reconciling` import completes, and a
   * `failed` one whose last chunk was being sent when it failed (a send that timed out, or a crash
   * right after it): a `segment.reconciled` proves the chunk arrived and the lists changed, so the
   * import did complete. A `rejected` import, or one failed before its last chunk, never does.
   */
  async markCompleted(manager: EntityManager, orgId: string, importId: string, reconciliation: unknown): Promise<void> {
    await manager.query(
      `UPDATE imports SET status = 'completed', reconciliation = ?, failure_reason = NULL, finished_at = CURRENT_TIMESTAMP(3), updated_at = CURRENT_TIMESTAMP(3)
       WHERE org_id = ? AND import_id = ? AND (status IN ('receiving', 'reconciling') OR (status = 'failed' AND last_chunk_at IS NOT NULL))`,
      [JSON.stringify(reconciliation), orgId, importId],
    );
  }

  /** Reconciliation gave the import up (nothing of it was applied). */
  async markReconciliationFailed(manager: EntityManager, orgId: string, importId: string, reason: string): Promise<void> {
    await manager.query(
      `UPDATE imports SET status = 'failed', failure_reason = ?, finished_at = CURRENT_TIMESTAMP(3), updated_at = CURRENT_TIMESTAMP(3)
       WHERE org_id = ? AND import_id = ? AND status IN ('receiving', 'reconciling')`,
      [`reconciliation failed: ${reason}`.slice(0, 500), orgId, importId],
    );
  }

  /** Imports left `receiving` whose last chunk was being sent: reconciliation's answer will end them. */
  async handOnStale(olderThanSeconds: number): Promise<number> {
    const r = await this.db.query(
      "UPDATE imports SET status = 'reconciling' WHERE status = 'receiving' AND last_chunk_at IS NOT NULL AND updated_at < (CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND)",
      [olderThanSeconds],
    );
    return Number((r as { affectedRows?: number }).affectedRows ?? 0);
  }

  /** Imports left `receiving` by a process that died before their last chunk: they fail. */
  async failStale(olderThanSeconds: number): Promise<number> {
    const r = await this.db.query(
      "UPDATE imports SET status = 'failed', failure_reason = 'the upload was interrupted (service stopped or client gone)', finished_at = CURRENT_TIMESTAMP(3) WHERE status = 'receiving' AND last_chunk_at IS NULL AND updated_at < (CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND)",
      [olderThanSeconds],
    );
    return Number((r as { affectedRows?: number }).affectedRows ?? 0);
  }

  /** Returns the hashes among `hashes` already seen in this import, then records the new ones. */
  async claimLineHashes(seq: string, hashes: Buffer[]): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    const seen: { line_hash: Buffer }[] = await this.db.query(
      `SELECT line_hash FROM import_line_hashes WHERE import_seq = ? AND line_hash IN (${hashes.map(() => '?').join(',')})`,
      [seq, ...hashes],
    );
    const dup = new Set(seen.map((r) => r.line_hash.toString('hex')));
    const fresh = hashes.filter((h) => !dup.has(h.toString('hex')));
    if (fresh.length) await this.db.query(`INSERT IGNORE INTO import_line_hashes (import_seq, line_hash) VALUES ${fresh.map(() => '(?, ?)').join(',')}`, fresh.flatMap((h) => [seq, h]));
    return dup;
  }

  /** Line hashes are only needed while an import is received. */
  async forgetLineHashes(seq: string): Promise<void> {
    for (;;) {
      const r = await this.db.query('DELETE FROM import_line_hashes WHERE import_seq = ? LIMIT 20000', [seq]);
      if (Number((r as { affectedRows?: number }).affectedRows ?? 0) < 20000) return;
    }
  }
}
