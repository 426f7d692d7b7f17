import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { LineError, ReceiptView } from './receipt';

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

  /** Inserts the job and returns its acceptance sequence. */
  async create(job: NewImport, manager: EntityManager = this.db.manager): Promise<string> {
    const r = await manager.query(
      'INSERT INTO imports (import_id, org_id, status, source, data_source, format, mode, file_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [job.importId, job.orgId, job.status, job.source, job.dataSource, job.format, job.mode, job.fileName],
    );
    return String((r as { insertId: number | string }).insertId);
  }

  async find(orgId: string, importId: string): Promise<ImportRow | null> {
    const rows: ImportRow[] = await this.db.query('SELECT * FROM imports WHERE org_id = ? AND import_id = ?', [orgId, importId]);
    return rows[0] ?? null;
  }

  async list(orgId: string, f: ImportFilter): Promise<ImportRow[]> {
    const where = ['org_id = ?'];
    const params: unknown[] = [orgId];
    const add = (clause: string, value: unknown) => {
      where.push(clause);
      params.push(value);
    };
    if (f.status) add('status = ?', f.status);
    if (f.from) add('created_at >= ?', f.from);
    if (f.to) add('created_at < ?', f.to);
    if (f.beforeSeq) add('seq < ?', f.beforeSeq);
    params.push(f.limit);
    return this.db.query(`SELECT * FROM imports WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`, params);
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

  async markCompleted(manager: EntityManager, orgId: string, importId: string, reconciliation: unknown): Promise<void> {
    await manager.query(
      "UPDATE imports SET status = 'completed', reconciliation = ?, finished_at = CURRENT_TIMESTAMP(3), updated_at = CURRENT_TIMESTAMP(3) WHERE org_id = ? AND import_id = ?",
      [JSON.stringify(reconciliation), orgId, importId],
    );
  }

  /** Imports left `receiving` by a process that died: they fail (their last chunk was never sent). */
  async failStale(olderThanSeconds: number): Promise<number> {
    const r = await this.db.query(
      "UPDATE imports SET status = 'failed', failure_reason = 'the upload was interrupted (service stopped or client gone)', finished_at = CURRENT_TIMESTAMP(3) WHERE status = 'receiving' AND updated_at < (CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND)",
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
