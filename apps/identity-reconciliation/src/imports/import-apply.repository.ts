import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { SegmentReconciled } from '@audx/contracts';
import { affected, placeholders, rows } from '../common/sql';
import type { Statement } from './match-plan';

/**
 * The set-based SQL of reconciling one import, in the caller's transaction connection: the
 * resolution of chunks' identifiers into `import_matches`, the membership writes (through a
 * temporary table, gone with the connection) and the report. No business rules: `ImportStager`
 * and `ImportApplier` decide what runs in which order.
 */
@Injectable()
export class ImportApplyRepository {
  /** Resolves the staged rows of chunks `seqs` (match-plan's statement) and marks those chunks resolved. */
  async resolveChunks(manager: EntityManager, importPk: string, seqs: readonly number[], statement: Statement | null): Promise<void> {
    if (seqs.length === 0) return;
    if (statement) await manager.query(statement.sql, statement.params);
    await manager.query(`UPDATE import_chunks SET resolved = 1 WHERE import_pk = ? AND seq IN (${placeholders(seqs.length)})`, [importPk, ...seqs]);
  }

  /** t_lists: the list each segment of the import being applied is written to. */
  async openListTable(manager: EntityManager): Promise<void> {
    await this.dropWorkTables(manager);
    await manager.query('CREATE TEMPORARY TABLE t_lists (segment_id VARCHAR(19) NOT NULL PRIMARY KEY, list_pk BIGINT NOT NULL) ENGINE=InnoDB');
  }

  async dropWorkTables(manager: EntityManager): Promise<void> {
    await manager.query('DROP TEMPORARY TABLE IF EXISTS t_lists');
  }

  async segments(manager: EntityManager, importPk: string): Promise<{ segmentId: string; labels: string }[]> {
    const found = await rows<{ segment_id: string; labels: string }>(manager, 'SELECT segment_id, labels FROM import_segments WHERE import_pk = ? ORDER BY segment_id', [importPk]);
    return found.map((s) => ({ segmentId: s.segment_id, labels: s.labels }));
  }

  /** The list a segment's memberships are written to. */
  async writeTo(manager: EntityManager, segmentId: string, listPk: string): Promise<void> {
    await manager.query('INSERT INTO t_lists (segment_id, list_pk) VALUES (?, ?)', [segmentId, listPk]);
  }

  /**
   * Writes straight from the join, adds first then removes: a change applies only where the
   * import's sequence is higher than the membership's (last writer by acceptance order wins); an
   * equal sequence is this import again, so a remove never undoes an add of the same import.
   * Assignments run left to right: changed_seq (stamped when presence flips) and present are
   * decided before sequence moves. Tombstones (present = 0) remember removals.
   */
  async writeMemberships(manager: EntityManager, importPk: string, sequence: number): Promise<void> {
    for (const op of [1, 0] as const) {
      await manager.query(
        `INSERT INTO list_members (list_pk, rid, present, sequence, changed_seq)
         SELECT tl.list_pk, m.rid, ?, ?, ?
         FROM t_lists tl
         JOIN import_matches m ON m.import_pk = ? AND m.segment_id = tl.segment_id
         WHERE m.rid <> 0 AND m.op = ?
         ON DUPLICATE KEY UPDATE
           changed_seq = IF(VALUES(sequence) > sequence AND present <> VALUES(present), VALUES(sequence), changed_seq),
           present = IF(VALUES(sequence) > sequence, VALUES(present), present),
           sequence = GREATEST(sequence, VALUES(sequence))`,
        [op, sequence, op === 1 ? sequence : -1, importPk, op],
      );
    }
  }

  /** Full mode: whoever the file did not touch leaves the list, unless a later import put them there. */
  async removeUntouched(manager: EntityManager, listPk: string, sequence: number): Promise<void> {
    await manager.query('UPDATE list_members SET changed_seq = ?, present = 0, sequence = ? WHERE list_pk = ? AND present = 1 AND sequence < ?', [sequence, sequence, listPk, sequence]);
  }

  /** The memberships of a list whose presence this import flipped. */
  async changed(manager: EntityManager, listPk: string, sequence: number): Promise<{ added: number; removed: number }> {
    const [c] = await rows<{ added: string | null; removed: string | null }>(
      manager,
      'SELECT SUM(present = 1) AS added, SUM(present = 0) AS removed FROM list_members WHERE list_pk = ? AND changed_seq = ?',
      [listPk, sequence],
    );
    return { added: Number(c?.added ?? 0), removed: Number(c?.removed ?? 0) };
  }

  /** Distinct identifiers of the import by staged status, counted on their 16-byte MD5 (not on the VARCHAR). */
  async distinctByStatus(manager: EntityManager, importPk: string): Promise<Map<number, number>> {
    const found = await rows<{ status: number; n: string }>(manager, 'SELECT status, COUNT(DISTINCT uid_h) AS n FROM import_rows WHERE import_pk = ? GROUP BY status', [importPk]);
    return new Map(found.map((x) => [Number(x.status), Number(x.n)]));
  }

  /** Reports the identifiers nothing matched; answers how many distinct ones. */
  async reportNotFound(manager: EntityManager, importPk: string): Promise<number> {
    return affected(
      await manager.query(
        `INSERT IGNORE INTO import_unmatched (import_pk, user_id, reason)
         SELECT o.import_pk, o.user_id, 'not_found' FROM import_matches m JOIN import_rows o ON o.import_pk = m.import_pk AND o.seq = m.seq AND o.n = m.n
         WHERE m.import_pk = ? AND m.rid = 0`,
        [importPk],
      ),
    );
  }

  /** Reports the identifiers staging already set aside (invalid, undecryptable, unknown data source). */
  async reportSetAside(manager: EntityManager, importPk: string): Promise<void> {
    await manager.query(
      `INSERT IGNORE INTO import_unmatched (import_pk, user_id, reason)
       SELECT import_pk, user_id, CASE status WHEN 2 THEN 'invalid' WHEN 3 THEN 'undecryptable' ELSE 'unknown_data_source' END
       FROM import_rows WHERE import_pk = ? AND status <> 0`,
      [importPk],
    );
  }

  async markApplied(manager: EntityManager, importPk: string, report: SegmentReconciled): Promise<void> {
    await manager.query("UPDATE imports SET status = 'applied', matched = ?, unmatched = ?, invalid = ?, result = ?, applied_at = ?, updated_at = ? WHERE import_pk = ?", [
      report.matched,
      report.unmatched,
      report.invalid,
      JSON.stringify(report),
      new Date(),
      new Date(),
      importPk,
    ]);
  }
}
