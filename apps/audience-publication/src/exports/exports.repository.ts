import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { SqlConditions } from '@audx/platform';
import type { ListExported, PolicyRecord } from '@audx/contracts';
import { bulkInsert } from '@audx/persistence';
import { affectedRows, num } from '../common/sql';
import { ExportRow, ExportStatus, toExportRow } from './export.row';

export interface NewExport {
  orgId: string;
  audienceId: string;
  payload: ListExported;
}

export interface ExportFilter {
  status?: ExportStatus;
  listId?: string;
  audienceId?: string;
  createdAfter?: Date;
  createdBefore?: Date;
}

/** Exports, their chunks and their staged identifiers. No business rules: SQL only. */
@Injectable()
export class ExportsRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Creates the export on its first chunk (any chunk may come first); later chunks leave it as it is. */
  async ensure(manager: EntityManager, e: NewExport): Promise<void> {
    const p = e.payload;
    await manager.query(
      `INSERT IGNORE INTO exports (org_id, export_id, list_id, data_source, segment_id, audience_name, audience_id, mode, labels, export_controls, dpid, shared_at, base_export_id, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'receiving')`,
      [
        e.orgId,
        p.exportId,
        p.listId,
        p.dataSource,
        p.segmentId,
        p.audienceName,
        e.audienceId,
        p.mode,
        JSON.stringify(p.labels),
        JSON.stringify(p.exportControls),
        p.dpid,
        p.sharedAt ? new Date(p.sharedAt) : null,
        p.base?.exportId ?? null,
      ],
    );
  }

  /**
   * A rollback: an export made here, on the audience of `like` (its list, data source, labels and
   * controls, which the export gate judges again), staged with the members of one of its kept
   * versions and assembled at once. A snapshot: publication compares it with the current version.
   */
  async addRollback(manager: EntityManager, r: { exportId: string; like: ExportRow; audiencePk: number; toVersion: number }): Promise<number> {
    const e = r.like;
    const inserted = await manager.query(
      `INSERT INTO exports (org_id, export_id, list_id, data_source, segment_id, audience_name, audience_id, mode, labels, export_controls, dpid, shared_at, base_export_id, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'incremental', ?, ?, ?, CURRENT_TIMESTAMP(3), NULL, 'receiving')`,
      [e.orgId, r.exportId, e.listId, e.dataSource, e.segmentId, e.audienceName, e.audienceId, JSON.stringify(e.labels), JSON.stringify(e.exportControls), e.dpid],
    );
    const exportPk = num((inserted as { insertId: number | string }).insertId);
    const staged = affectedRows(
      await manager.query(
        `INSERT INTO export_identifiers (export_pk, identifier, removed)
         SELECT ?, identifier, 0 FROM audience_members WHERE audience_pk = ? AND from_version <= ? AND to_version > ?`,
        [exportPk, r.audiencePk, r.toVersion, r.toVersion],
      ),
    );
    await manager.query(
      `UPDATE exports SET chunks = 0, staged_identifiers = ?, members = ?, with_identifier = ?, complement = 0, blocked = 0, identifiers_total = ?,
              status = 'assembled', assembled_at = CURRENT_TIMESTAMP(3) WHERE export_pk = ?`,
      [staged, staged, staged, staged, exportPk],
    );
    return exportPk;
  }

  /** The export, locked until the transaction ends: chunks of one export are applied one at a time. */
  async lock(manager: EntityManager, orgId: string, exportId: string): Promise<ExportRow> {
    const rows: Record<string, unknown>[] = await manager.query('SELECT * FROM exports WHERE org_id = ? AND export_id = ? FOR UPDATE', [orgId, exportId]);
    return toExportRow(rows[0]);
  }

  async lockByPk(manager: EntityManager, exportPk: number): Promise<ExportRow | null> {
    const rows: Record<string, unknown>[] = await manager.query('SELECT * FROM exports WHERE export_pk = ? FOR UPDATE', [exportPk]);
    return rows.length ? toExportRow(rows[0]) : null;
  }

  async byPk(exportPk: number, manager: EntityManager = this.dataSource.manager): Promise<ExportRow | null> {
    const rows: Record<string, unknown>[] = await manager.query('SELECT * FROM exports WHERE export_pk = ?', [exportPk]);
    return rows.length ? toExportRow(rows[0]) : null;
  }

  async find(orgId: string, exportId: string): Promise<ExportRow | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query('SELECT * FROM exports WHERE org_id = ? AND export_id = ?', [orgId, exportId]);
    return rows.length ? toExportRow(rows[0]) : null;
  }

  /** An org's exports, newest first, those before `beforePk` (the cursor), matching the filter. */
  async page(orgId: string, filter: ExportFilter, beforePk: number | null, limit: number): Promise<ExportRow[]> {
    const w = new SqlConditions()
      .when('org_id = ?', orgId)
      .when('status = ?', filter.status)
      .when('list_id = ?', filter.listId)
      .when('audience_id = ?', filter.audienceId)
      .when('created_at > ?', filter.createdAfter)
      .when('created_at < ?', filter.createdBefore)
      .when('export_pk < ?', beforePk);
    const rows: Record<string, unknown>[] = await this.dataSource.query(`SELECT * FROM exports WHERE ${w.sql} ORDER BY export_pk DESC LIMIT ?`, [...w.params, limit]);
    return rows.map(toExportRow);
  }

  /** Records a chunk; false when this (export, seq) is already in (a redelivery or a re-publication). */
  async addChunk(manager: EntityManager, exportPk: number, seq: number, eventId: string, identifiers: number, last: boolean): Promise<boolean> {
    const r = await manager.query('INSERT IGNORE INTO export_chunks (export_pk, seq, event_id, identifiers, is_last) VALUES (?, ?, ?, ?, ?)', [
      exportPk,
      seq,
      eventId,
      identifiers,
      last ? 1 : 0,
    ]);
    return affectedRows(r) === 1;
  }

  /** Multi-row inserts into staging; an identifier already staged for the export counts once. */
  async stage(manager: EntityManager, exportPk: number, identifiers: readonly string[], removed = false): Promise<number> {
    return bulkInsert(
      manager,
      'export_identifiers',
      ['export_pk', 'identifier', 'removed'],
      identifiers.map((id) => [exportPk, id, removed ? 1 : 0]),
      { ignore: true, rowsPerStatement: 2000 },
    );
  }

  async countChunk(manager: EntityManager, exportPk: number, staged: number, invalid: number): Promise<void> {
    await manager.query(
      'UPDATE exports SET received_chunks = received_chunks + 1, staged_identifiers = staged_identifiers + ?, invalid_identifiers = invalid_identifiers + ? WHERE export_pk = ?',
      [staged, invalid, exportPk],
    );
  }

  async setTotals(manager: EntityManager, exportPk: number, t: NonNullable<ListExported['totals']>): Promise<void> {
    await manager.query('UPDATE exports SET chunks = ?, members = ?, with_identifier = ?, complement = ?, blocked = ?, identifiers_total = ? WHERE export_pk = ?', [
      t.chunks,
      t.members,
      t.withIdentifier,
      t.complement,
      t.blocked,
      t.identifiers,
      exportPk,
    ]);
  }

  async chunkStats(manager: EntityManager, exportPk: number): Promise<{ count: number; maxSeq: number }> {
    // a locking read: under the export row's lock it sees every chunk committed before, which the
    // transaction's snapshot (taken before it waited for that lock) may not
    const [r]: { n: string; m: number | null }[] = await manager.query('SELECT COUNT(*) AS n, MAX(seq) AS m FROM export_chunks WHERE export_pk = ? LOCK IN SHARE MODE', [exportPk]);
    return { count: num(r.n), maxSeq: r.m === null ? -1 : num(r.m) };
  }

  /** receiving -> assembled, once: true only for the transaction that made the transition. */
  async markAssembled(manager: EntityManager, exportPk: number): Promise<boolean> {
    const r = await manager.query("UPDATE exports SET status = 'assembled', assembled_at = CURRENT_TIMESTAMP(3) WHERE export_pk = ? AND status = 'receiving'", [exportPk]);
    return affectedRows(r) === 1;
  }

  async markFailed(manager: EntityManager, exportPk: number, error: string): Promise<void> {
    await manager.query("UPDATE exports SET status = 'failed', error = ?, finished_at = CURRENT_TIMESTAMP(3) WHERE export_pk = ?", [error.slice(0, 500), exportPk]);
  }

  /** Exports still missing chunks `seconds` after their first one: failed, with what was missing. */
  async failIncomplete(seconds: number): Promise<number> {
    const r = await this.dataSource.query(
      `UPDATE exports SET status = 'failed', finished_at = CURRENT_TIMESTAMP(3),
              error = CONCAT('incomplete: ', received_chunks, ' of ', COALESCE(chunks, '?'), ' chunks received within ', ?, ' s of the first')
        WHERE status = 'receiving' AND created_at < CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND
          AND NOT EXISTS (SELECT 1 FROM export_inbox i WHERE i.org_id = exports.org_id AND i.export_id = exports.export_id AND i.parked = 0)`,
      [seconds, seconds],
    );
    return affectedRows(r);
  }

  /**
   * Exports to publish in a lane, oldest share first: `small` ones stage at most `smallMax`
   * identifiers. An export waits while an earlier one of its audience is queued in the other lane:
   * versions follow the order of the shares whichever lane publishes them.
   */
  async queue(limit: number, lane: { small: boolean; smallMax: number }): Promise<{ exportPk: number; orgId: string; audienceId: string }[]> {
    const inLane = (t: string) => (lane.small ? `${t}.staged_identifiers <= ?` : `${t}.staged_identifiers > ?`);
    const rows: { export_pk: string; org_id: string; audience_id: string }[] = await this.dataSource.query(
      `SELECT e.export_pk, e.org_id, e.audience_id FROM exports e
        WHERE e.status IN ('assembled', 'publishing') AND ${inLane('e')}
          AND NOT EXISTS (SELECT 1 FROM exports p
                           WHERE p.status IN ('assembled', 'publishing') AND p.org_id = e.org_id AND p.audience_id = e.audience_id AND NOT (${inLane('p')})
                             AND (COALESCE(p.shared_at, p.assembled_at), p.export_pk) < (COALESCE(e.shared_at, e.assembled_at), e.export_pk))
        ORDER BY COALESCE(e.shared_at, e.assembled_at), e.export_pk LIMIT ?`,
      [lane.smallMax, lane.smallMax, limit],
    );
    return rows.map((r) => ({ exportPk: num(r.export_pk), orgId: r.org_id, audienceId: r.audience_id }));
  }

  async reject(manager: EntityManager, exportPk: number, violations: PolicyRecord[]): Promise<void> {
    await manager.query("UPDATE exports SET status = 'rejected', policy_violations = ?, finished_at = CURRENT_TIMESTAMP(3) WHERE export_pk = ?", [
      JSON.stringify(violations),
      exportPk,
    ]);
  }

  /** assembled -> publishing: the version, file stamp and file layout are fixed here, so a retry writes the same files. */
  async claim(manager: EntityManager, exportPk: number, c: { audiencePk: number; version: number; stamp: number; maxLines: number; gzip: boolean }): Promise<void> {
    await manager.query("UPDATE exports SET status = 'publishing', audience_pk = ?, version = ?, stamp = ?, out_max_lines = ?, out_gzip = ? WHERE export_pk = ?", [
      c.audiencePk,
      c.version,
      c.stamp,
      c.maxLines,
      c.gzip ? 1 : 0,
      exportPk,
    ]);
  }

  async finish(manager: EntityManager, exportPk: number, r: { size: number; added: number; removed: number }): Promise<void> {
    await manager.query(
      "UPDATE exports SET status = 'published', size = ?, added = ?, removed = ?, error = NULL, finished_at = CURRENT_TIMESTAMP(3) WHERE export_pk = ?",
      [r.size, r.added, r.removed, exportPk],
    );
  }

  /** A delta whose base is not the audience's current version: never applied (identity sends the whole list instead). */
  async refuseDelta(manager: EntityManager, exportPk: number, reason: string): Promise<void> {
    await manager.query("UPDATE exports SET status = 'failed', error = ?, finished_at = CURRENT_TIMESTAMP(3) WHERE export_pk = ?", [reason.slice(0, 500), exportPk]);
  }

  /** A share requested before one its audience already published: never published, it would turn the audience back. */
  async supersede(manager: EntityManager, exportPk: number, publishedSharedAt: string): Promise<void> {
    await manager.query("UPDATE exports SET status = 'superseded', error = ?, finished_at = CURRENT_TIMESTAMP(3) WHERE export_pk = ?", [
      `superseded: a share of this audience requested later (${publishedSharedAt}) was published first`,
      exportPk,
    ]);
  }

  /** A publication attempt that failed (it will be retried); shown on the export. */
  async noteError(exportPk: number, error: string): Promise<void> {
    await this.dataSource.query('UPDATE exports SET error = ? WHERE export_pk = ?', [error.slice(0, 500), exportPk]);
  }

  /** Finished exports whose staged identifiers are still there. */
  async needingCleanup(limit: number): Promise<number[]> {
    const rows: { export_pk: string }[] = await this.dataSource.query(
      "SELECT export_pk FROM exports WHERE staging_cleared = 0 AND status IN ('published', 'rejected', 'superseded', 'failed') LIMIT ?",
      [limit],
    );
    return rows.map((r) => num(r.export_pk));
  }

  /** Deletes staged identifiers in small transactions (never one huge delete). */
  async clearStaging(exportPk: number, batch = 10_000): Promise<void> {
    while (affectedRows(await this.dataSource.query('DELETE FROM export_identifiers WHERE export_pk = ? LIMIT ?', [exportPk, batch])) > 0) {
      /* next batch */
    }
    await this.dataSource.query('UPDATE exports SET staging_cleared = 1 WHERE export_pk = ?', [exportPk]);
  }
}
