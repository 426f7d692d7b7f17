import { hash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { SegmentImported } from '@audx/contracts';
import { bulkInsert } from '@audx/persistence';
import { loadDataIgnore } from '../common/load-data';
import { affected, placeholders, rows, toJsonArray } from '../common/sql';
import type { MatchPlan, StagedId } from './match-plan';

/** The 16-byte MD5 an identifier's distinct count is taken on (uid_h). */
export function userHash(userId: string): Buffer {
  return hash('md5', userId, 'buffer') as unknown as Buffer;
}

export interface StagedRow {
  id: StagedId;
  segmentId: string | null;
  op: 0 | 1 | null;
}

export type ImportStatus = 'staging' | 'ready' | 'applied' | 'failed' | 'abandoned';

export interface ImportRecord {
  importPk: string;
  orgId: string;
  importId: string;
  sequence: number;
  dataSource: string;
  mode: 'iter' | 'full';
  plan: MatchPlan;
  status: ImportStatus;
  chunksTotal: number | null;
  result: string | null;
  reportPurged: boolean;
}

interface Row {
  import_pk: string;
  org_id: string;
  import_id: string;
  sequence: string;
  data_source: string;
  mode: 'iter' | 'full';
  plan: string;
  status: ImportStatus;
  chunks_total: number | null;
  result: string | null;
  report_purged: number;
}

/** Who to tell about an import: its org and id. */
export interface ImportRef {
  orgId: string;
  importId: string;
}

interface RefRow {
  org_id: string;
  import_id: string;
}

const COLUMNS = 'import_pk, org_id, import_id, sequence, data_source, mode, plan, status, chunks_total, result, report_purged';

/** Import jobs as the reconciler sees them, and their staging tables. */
@Injectable()
export class ImportsRepository {
  /** The import of (org, importId), created by its first chunk, locked for the caller's transaction. */
  async upsertAndLock(manager: EntityManager, orgId: string, p: SegmentImported, plan: MatchPlan): Promise<ImportRecord> {
    const now = new Date();
    await manager.query(
      `INSERT IGNORE INTO imports (org_id, import_id, sequence, data_source, mode, plan, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'staging', ?, ?)`,
      [orgId, p.importId, p.sequence, p.dataSource, p.mode, JSON.stringify(plan), now, now],
    );
    const [row] = await rows<Row>(manager, `SELECT ${COLUMNS} FROM imports WHERE org_id = ? AND import_id = ? FOR UPDATE`, [orgId, p.importId]);
    return toRecord(row);
  }

  /**
   * Claims a ready import for the caller's transaction, or answers null: not ready any more, held by
   * another replica (SKIP LOCKED: never a lock wait), or an earlier-accepted import sharing one of
   * its lists is still ready (applied or given up first, so each list follows acceptance order).
   */
  async claim(manager: EntityManager, importPk: string): Promise<ImportRecord | null> {
    const [row] = await rows<Row>(manager, `SELECT ${COLUMNS} FROM imports WHERE import_pk = ? AND status = 'ready' FOR UPDATE SKIP LOCKED`, [importPk]);
    if (!row) return null;
    // a plain read (it must not wait for the replica applying that import): it sees every import
    // committed as ready before it; one still being applied elsewhere is still 'ready' here
    const earlier = await rows<{ import_pk: string }>(
      manager,
      `SELECT e.import_pk FROM imports e
       JOIN import_segments es ON es.import_pk = e.import_pk
       JOIN import_segments s ON s.import_pk = ? AND s.segment_id = es.segment_id
       WHERE e.status = 'ready' AND e.org_id = ? AND e.data_source = ? AND (e.sequence < ? OR (e.sequence = ? AND e.import_pk < ?))
       LIMIT 1`,
      [row.import_pk, row.org_id, row.data_source, row.sequence, row.sequence, row.import_pk],
    );
    return earlier.length ? null : toRecord(row);
  }

  async find(manager: EntityManager, orgId: string, importId: string): Promise<ImportRecord | null> {
    const [row] = await rows<Row>(manager, `SELECT ${COLUMNS} FROM imports WHERE org_id = ? AND import_id = ?`, [orgId, importId]);
    return row ? toRecord(row) : null;
  }

  /** Records chunk `seq` as staged; false when it already was (a redelivery or a re-publication). */
  async claimChunk(manager: EntityManager, importPk: string, seq: number, members: number): Promise<boolean> {
    return affected(await manager.query('INSERT IGNORE INTO import_chunks (import_pk, seq, members) VALUES (?, ?, ?)', [importPk, seq, members])) === 1;
  }

  /** Appends a chunk's rows (LOAD DATA; a replay of the same chunk is ignored by the key), each with its identifier's MD5 (`userHash`). */
  async stageRows(manager: EntityManager, importPk: string, seq: number, staged: StagedRow[]): Promise<void> {
    await loadDataIgnore(
      manager,
      'import_rows',
      ['import_pk', 'seq', 'n', 'user_id', 'status', 'key_text', 'key_hash', 'segment_id', 'op', 'uid_h'],
      staged.map((r, n) => [importPk, seq, n, r.id.userId, r.id.status, r.id.keyText, r.id.keyHash, r.segmentId, r.op, userHash(r.id.userId)]),
      ['key_hash', 'uid_h'],
    );
  }

  /** Chunks staged without being resolved (by a version before chunks were resolved on arrival). */
  async unresolvedChunks(manager: EntityManager, importPk: string): Promise<number[]> {
    const found = await rows<{ seq: number }>(manager, 'SELECT seq FROM import_chunks WHERE import_pk = ? AND resolved = 0 ORDER BY seq', [importPk]);
    return found.map((f) => Number(f.seq));
  }

  /** An erased recipient leaves the imports not applied yet: its pending matches go with it. */
  async forgetMatchesOf(manager: EntityManager, orgId: string, rid: string): Promise<void> {
    await manager.query(
      "DELETE m FROM import_matches m JOIN imports i ON i.import_pk = m.import_pk WHERE i.org_id = ? AND i.status IN ('staging', 'ready') AND m.rid = ?",
      [orgId, rid],
    );
  }

  /**
   * Records the import's segments with their labels. Chunks may arrive in any order and each lists
   * the segments its members reference; a segment's labels are the union of what chunks said
   * (labels only ever restrict, so the union is the safe reading of a disagreement).
   */
  async stageSegments(manager: EntityManager, importPk: string, labelled: { segmentId: string; labels: string[] }[], referenced: string[]): Promise<void> {
    const wanted = new Map<string, Set<string>>();
    for (const s of labelled) wanted.set(s.segmentId, new Set([...(wanted.get(s.segmentId) ?? []), ...s.labels]));
    for (const s of referenced) if (!wanted.has(s)) wanted.set(s, new Set());
    if (wanted.size === 0) return;
    const ids = [...wanted.keys()];
    const existing = await rows<{ segment_id: string; labels: string }>(
      manager,
      `SELECT segment_id, labels FROM import_segments WHERE import_pk = ? AND segment_id IN (${ids.map(() => '?').join(',')}) FOR UPDATE`,
      [importPk, ...ids],
    );
    const known = new Map(existing.map((e) => [e.segment_id, toJsonArray(e.labels)]));
    const changed = ids.filter((id) => {
      const before = known.get(id);
      return before === undefined || [...wanted.get(id)!].some((l) => !before.includes(l));
    });
    await bulkInsert(
      manager,
      'import_segments',
      ['import_pk', 'segment_id', 'labels'],
      changed.map((id) => [importPk, id, JSON.stringify([...new Set([...(known.get(id) ?? []), ...wanted.get(id)!])].sort())]),
      { suffix: 'ON DUPLICATE KEY UPDATE labels = VALUES(labels)' },
    );
  }

  /** Updates totals and answers whether every chunk 0..chunks-1 is now staged (then the import is ready). */
  async markProgress(manager: EntityManager, importPk: string, totals: SegmentImported['totals']): Promise<boolean> {
    await manager.query('UPDATE imports SET chunks_total = COALESCE(?, chunks_total), members_total = COALESCE(?, members_total), updated_at = ? WHERE import_pk = ?', [
      totals?.chunks ?? null,
      totals?.members ?? null,
      new Date(),
      importPk,
    ]);
    // locking reads: under the import row's lock they see every chunk committed before, which the
    // transaction's snapshot (taken before it waited for that lock) may not
    const [{ total }] = await rows<{ total: number | null }>(manager, 'SELECT chunks_total AS total FROM imports WHERE import_pk = ? FOR UPDATE', [importPk]);
    const [{ staged }] = await rows<{ staged: string }>(manager, 'SELECT COUNT(*) AS staged FROM import_chunks WHERE import_pk = ? AND seq < ? LOCK IN SHARE MODE', [
      importPk,
      total ?? 0,
    ]);
    await manager.query('UPDATE imports SET chunks_staged = ? WHERE import_pk = ?', [Number(staged), importPk]);
    if (total === null || Number(staged) < Number(total)) return false;
    await manager.query("UPDATE imports SET status = 'ready' WHERE import_pk = ? AND status = 'staging'", [importPk]);
    return true;
  }

  /** ready -> failed; answers the import it gave up on, or null when it was not ready any more. */
  async markFailed(manager: EntityManager, importPk: string, error: string): Promise<ImportRef | null> {
    const [row] = await rows<RefRow>(manager, "SELECT org_id, import_id FROM imports WHERE import_pk = ? AND status = 'ready' FOR UPDATE", [importPk]);
    if (!row) return null;
    await manager.query("UPDATE imports SET status = 'failed', result = ?, updated_at = ? WHERE import_pk = ?", [JSON.stringify({ error: error.slice(0, 1000) }), new Date(), importPk]);
    return { orgId: row.org_id, importId: row.import_id };
  }

  /** Ready imports in acceptance order: small ones (at most `smallMax` members) or the others. */
  async ready(manager: EntityManager, limit: number, size: { small: boolean; smallMax: number }): Promise<string[]> {
    const found = await rows<{ import_pk: string }>(
      manager,
      `SELECT import_pk FROM imports WHERE status = 'ready' AND ${size.small ? 'members_total <= ?' : '(members_total IS NULL OR members_total > ?)'} ORDER BY sequence, import_pk LIMIT ?`,
      [size.smallMax, limit],
    );
    return found.map((f) => String(f.import_pk));
  }

  async toPurge(manager: EntityManager, limit: number): Promise<string[]> {
    const found = await rows<{ import_pk: string }>(
      manager,
      "SELECT import_pk FROM imports WHERE status IN ('applied', 'abandoned') AND staging_purged = 0 ORDER BY import_pk LIMIT ?",
      [limit],
    );
    return found.map((f) => String(f.import_pk));
  }

  /** Imports still staging whose last chunk came before `before` are abandoned (up to `limit`); answers which. */
  async abandonStale(manager: EntityManager, before: Date, reason: string, limit: number): Promise<ImportRef[]> {
    // a plain read first, so that the usual pass (nothing stale) locks nothing the stager needs
    // chunks still waiting in the inbox are not missing: the expander is behind, the sender is not
    const found = await rows<{ import_pk: string }>(
      manager,
      `SELECT import_pk FROM imports i WHERE status = 'staging' AND updated_at < ?
         AND NOT EXISTS (SELECT 1 FROM import_inbox b WHERE b.org_id = i.org_id AND b.import_id = i.import_id AND b.parked_reason IS NULL) LIMIT ?`,
      [before, limit],
    );
    if (found.length === 0) return [];
    const stale = await rows<RefRow & { import_pk: string }>(
      manager,
      `SELECT import_pk, org_id, import_id FROM imports WHERE import_pk IN (${placeholders(found.length)}) AND status = 'staging' AND updated_at < ? FOR UPDATE`,
      [...found.map((f) => f.import_pk), before],
    );
    if (stale.length === 0) return [];
    await manager.query(`UPDATE imports SET status = 'abandoned', result = ?, updated_at = ? WHERE import_pk IN (${placeholders(stale.length)})`, [
      JSON.stringify({ error: reason }),
      new Date(),
      ...stale.map((r) => r.import_pk),
    ]);
    return stale.map((r) => ({ orgId: r.org_id, importId: r.import_id }));
  }

  /** Deletes one slice of an applied import's staging rows; answers how many went. */
  async purgeSlice(manager: EntityManager, importPk: string, slice: number): Promise<number> {
    let n = affected(await manager.query('DELETE FROM import_matches WHERE import_pk = ? LIMIT ?', [importPk, slice]));
    if (n === 0) n = affected(await manager.query('DELETE FROM import_rows WHERE import_pk = ? LIMIT ?', [importPk, slice]));
    if (n === 0) await manager.query('UPDATE imports SET staging_purged = 1 WHERE import_pk = ?', [importPk]);
    return n;
  }

  /** Applied imports whose unmatched report is older than `before` and still kept. */
  async reportsToPurge(manager: EntityManager, before: Date, limit: number): Promise<string[]> {
    const found = await rows<{ import_pk: string }>(
      manager,
      "SELECT import_pk FROM imports WHERE status = 'applied' AND report_purged = 0 AND applied_at < ? ORDER BY import_pk LIMIT ?",
      [before, limit],
    );
    return found.map((f) => String(f.import_pk));
  }

  /** Deletes one slice of an import's unmatched report; answers how many went. */
  async purgeReportSlice(manager: EntityManager, importPk: string, slice: number): Promise<number> {
    const n = affected(await manager.query('DELETE FROM import_unmatched WHERE import_pk = ? LIMIT ?', [importPk, slice]));
    if (n === 0) await manager.query('UPDATE imports SET report_purged = 1 WHERE import_pk = ?', [importPk]);
    return n;
  }

  async unmatchedPage(manager: EntityManager, importPk: string, after: string | null, limit: number): Promise<{ user_id: string; reason: string }[]> {
    return rows(
      manager,
      `SELECT user_id, reason FROM import_unmatched WHERE import_pk = ?${after !== null ? ' AND user_id > ?' : ''} ORDER BY user_id LIMIT ?`,
      after !== null ? [importPk, after, limit] : [importPk, limit],
    );
  }
}

function toRecord(r: Row): ImportRecord {
  return {
    importPk: String(r.import_pk),
    orgId: r.org_id,
    importId: r.import_id,
    sequence: Number(r.sequence),
    dataSource: r.data_source,
    mode: r.mode,
    plan: JSON.parse(r.plan) as MatchPlan,
    status: r.status,
    chunksTotal: r.chunks_total === null ? null : Number(r.chunks_total),
    result: r.result,
    reportPurged: Number(r.report_purged) === 1,
  };
}
