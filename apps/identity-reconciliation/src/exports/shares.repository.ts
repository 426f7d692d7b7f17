import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { affected, rows } from '../common/sql';
import type { IdentifierSql } from './identifier-resolver';

export interface ShareTarget {
  targetPk: string;
  lastExportId: string | null;
}

export interface PendingResync {
  targetPk: string;
  orgId: string;
  audienceId: string;
  listId: string;
  dataSource: string;
  segmentId: string | null;
  audienceName: string | null;
}

export interface ResyncRequest {
  listId: string;
  dataSource: string;
  segmentId: string | null;
  audienceName: string | null;
}

export interface IdentifierRow {
  id_hash: Buffer;
  identifier: string;
}

/** A keyset page of identifiers: those after `after` (an MD5), in MD5 order. */
export type PageReader = (after: Buffer, limit: number) => Promise<IdentifierRow[]>;

const CURRENT = 'share_current';
const ROWS = 'share_rows';
const ZERO = Buffer.alloc(16);

/**
 * What each shared audience last received (its baseline), and the share being computed: the
 * list's identifiers now, in a temporary table of the share's own connection (gone with it, so a
 * crash leaves nothing to clean). Added and removed identifiers are anti-joins between the two.
 * SQL only.
 */
@Injectable()
export class SharesRepository {
  /** The audience's target row, created on its first share and locked: shares of one audience take turns. */
  async lockTarget(manager: EntityManager, orgId: string, audienceId: string): Promise<ShareTarget> {
    await manager.query('INSERT IGNORE INTO share_targets (org_id, audience_id) VALUES (?, ?)', [orgId, audienceId]);
    const [t] = await rows<{ target_pk: string; last_export_id: string | null }>(
      manager,
      'SELECT target_pk, last_export_id FROM share_targets WHERE org_id = ? AND audience_id = ? FOR UPDATE',
      [orgId, audienceId],
    );
    return { targetPk: String(t.target_pk), lastExportId: t.last_export_id };
  }

  async openCurrent(manager: EntityManager): Promise<void> {
    await this.closeCurrent(manager);
    await manager.query(
      `CREATE TEMPORARY TABLE ${ROWS} (rid BIGINT NOT NULL, id_hash BINARY(16) NOT NULL, identifier VARCHAR(1024) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
    await manager.query(
      `CREATE TEMPORARY TABLE ${CURRENT} (id_hash BINARY(16) NOT NULL PRIMARY KEY, identifier VARCHAR(1024) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
  }

  async closeCurrent(manager: EntityManager): Promise<void> {
    await manager.query(`DROP TEMPORARY TABLE IF EXISTS ${ROWS}, ${CURRENT}`);
  }

  /**
   * The identifiers of the list's present, non-blocklisted members, in one pass over the members:
   * appended with their member (no index to maintain), then put in the share's set in key order
   * (a sorted insert, not a random one per identifier). Answers how many distinct identifiers, and
   * how many members have at least one.
   */
  async fillCurrent(manager: EntityManager, listPk: string, source: IdentifierSql): Promise<{ identifiers: number; withIdentifier: number }> {
    await manager.query(
      `INSERT INTO ${ROWS} (rid, id_hash, identifier)
       SELECT lm.rid, UNHEX(MD5(${source.expr})), ${source.expr}
         FROM list_members lm JOIN recipients r ON r.rid = lm.rid ${source.join}
        WHERE lm.list_pk = ? AND lm.present = 1 AND r.blocklisted = 0 AND ${source.expr} IS NOT NULL`,
      [...source.params, listPk],
    );
    const [m] = await rows<{ n: string }>(manager, `SELECT COUNT(DISTINCT rid) AS n FROM ${ROWS}`);
    const identifiers = affected(await manager.query(`INSERT IGNORE INTO ${CURRENT} (id_hash, identifier) SELECT id_hash, identifier FROM ${ROWS} ORDER BY id_hash`));
    return { identifiers, withIdentifier: Number(m.n) };
  }

  /** Identifiers computed in Node (encrypted ones), added to the share's set. */
  async addToCurrent(manager: EntityManager, identifiers: string[]): Promise<number> {
    let n = 0;
    for (let i = 0; i < identifiers.length; i += 1000) {
      const slice = identifiers.slice(i, i + 1000);
      n += affected(
        await manager.query(
          `INSERT IGNORE INTO ${CURRENT} (id_hash, identifier) VALUES ${slice.map(() => '(?, ?)').join(',')}`,
          slice.flatMap((id) => [createHash('md5').update(id, 'utf8').digest(), id]),
        ),
      );
    }
    return n;
  }

  /** Members and blocklisted members: one pass over the members, in key order, without identifiers. */
  async memberCounts(manager: EntityManager, listPk: string): Promise<{ members: number; blocked: number }> {
    const [m] = await rows<{ members: string; blocked: string | null }>(
      manager,
      'SELECT COUNT(*) AS members, SUM(r.blocklisted <> 0) AS blocked FROM list_members lm JOIN recipients r ON r.rid = lm.rid WHERE lm.list_pk = ? AND lm.present = 1',
      [listPk],
    );
    return { members: Number(m.members), blocked: Number(m.blocked ?? 0) };
  }

  /** Every identifier of the share. */
  current(manager: EntityManager): PageReader {
    return (after, limit) => rows<IdentifierRow>(manager, `SELECT id_hash, identifier FROM ${CURRENT} WHERE id_hash > ? ORDER BY id_hash LIMIT ?`, [after, limit]);
  }

  /** Identifiers of the share the audience has not received. */
  added(manager: EntityManager, targetPk: string): PageReader {
    return (after, limit) =>
      rows<IdentifierRow>(
        manager,
        `SELECT c.id_hash, c.identifier FROM ${CURRENT} c LEFT JOIN share_baselines b ON b.target_pk = ? AND b.id_hash = c.id_hash
          WHERE c.id_hash > ? AND b.id_hash IS NULL ORDER BY c.id_hash LIMIT ?`,
        [targetPk, after, limit],
      );
  }

  /** Identifiers the audience received that the share no longer has. */
  removed(manager: EntityManager, targetPk: string): PageReader {
    return (after, limit) =>
      rows<IdentifierRow>(
        manager,
        `SELECT b.id_hash, b.identifier FROM share_baselines b LEFT JOIN ${CURRENT} c ON c.id_hash = b.id_hash
          WHERE b.target_pk = ? AND b.id_hash > ? AND c.id_hash IS NULL ORDER BY b.id_hash LIMIT ?`,
        [targetPk, after, limit],
      );
  }

  /** The baseline becomes the share's set (work proportional to the change), and records the share it reflects. */
  async advanceBaseline(manager: EntityManager, targetPk: string, exportId: string): Promise<void> {
    await manager.query(
      `DELETE b FROM share_baselines b LEFT JOIN ${CURRENT} c ON c.id_hash = b.id_hash WHERE b.target_pk = ? AND c.id_hash IS NULL`,
      [targetPk],
    );
    await manager.query(
      `INSERT INTO share_baselines (target_pk, id_hash, identifier)
       SELECT ?, c.id_hash, c.identifier FROM ${CURRENT} c LEFT JOIN share_baselines b ON b.target_pk = ? AND b.id_hash = c.id_hash WHERE b.id_hash IS NULL`,
      [targetPk, targetPk],
    );
    await manager.query(
      `UPDATE share_targets SET last_export_id = ?, resync_list_id = NULL, resync_data_source = NULL, resync_segment_id = NULL,
              resync_audience_name = NULL, resync_requested_at = NULL WHERE target_pk = ?`,
      [exportId, targetPk],
    );
  }

  /** Publication could not apply a delta: the next share of the audience carries the whole list, and one is due. */
  async requestResync(manager: EntityManager, orgId: string, audienceId: string, r: ResyncRequest): Promise<void> {
    await manager.query('INSERT IGNORE INTO share_targets (org_id, audience_id) VALUES (?, ?)', [orgId, audienceId]);
    await manager.query(
      `UPDATE share_targets SET last_export_id = NULL, resync_list_id = ?, resync_data_source = ?, resync_segment_id = ?, resync_audience_name = ?,
              resync_requested_at = CURRENT_TIMESTAMP(3) WHERE org_id = ? AND audience_id = ?`,
      [r.listId, r.dataSource, r.segmentId, r.audienceName, orgId, audienceId],
    );
  }

  async pendingResyncs(manager: EntityManager, limit: number): Promise<PendingResync[]> {
    const found = await rows<Record<string, string | null>>(
      manager,
      `SELECT target_pk, org_id, audience_id, resync_list_id, resync_data_source, resync_segment_id, resync_audience_name
         FROM share_targets WHERE resync_requested_at IS NOT NULL ORDER BY resync_requested_at LIMIT ?`,
      [limit],
    );
    return found.map((r) => ({
      targetPk: String(r.target_pk),
      orgId: r.org_id!,
      audienceId: r.audience_id!,
      listId: r.resync_list_id!,
      dataSource: r.resync_data_source!,
      segmentId: r.resync_segment_id,
      audienceName: r.resync_audience_name,
    }));
  }

  /** A resync that cannot be done (its list or data source is gone): forgotten. */
  async dropResync(manager: EntityManager, targetPk: string): Promise<void> {
    await manager.query('UPDATE share_targets SET resync_requested_at = NULL WHERE target_pk = ?', [targetPk]);
  }
}

/** Reads every page of a reader, in order. */
export async function* pagesOf(read: PageReader, pageSize: number): AsyncGenerator<IdentifierRow[]> {
  let after = ZERO;
  for (;;) {
    const page = await read(after, pageSize);
    if (page.length === 0) return;
    yield page;
    if (page.length < pageSize) return;
    after = Buffer.from(page[page.length - 1].id_hash);
  }
}
