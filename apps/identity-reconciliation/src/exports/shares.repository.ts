import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ChangeKind as KIND } from '../changes/change-log.repository';
import { affected, placeholders, rows } from '../common/sql';
import type { IdentifierSql } from './identifier-resolver';

/** What an audience holds since its last share, kept on its target row. */
export interface ShareCounts {
  members: number;
  blocked: number;
  withIdentifier: number;
  identifiers: number;
}

export interface ShareTarget {
  targetPk: string;
  lastExportId: string | null;
  /** The org's change clock its last share saw; null: never shared (or started over). */
  clock: number | null;
  counts: ShareCounts;
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

/** What a share shared: what a kept-in-sync audience shares again. */
export interface SyncSource {
  listId: string;
  dataSource: string;
  segmentId: string | null;
  audienceName: string | null;
}

export interface SyncState {
  targetPk: string;
  audienceId: string;
  enabled: boolean;
  debounceSeconds: number;
  listId: string | null;
  dueAt: string | null;
  lastExportId: string | null;
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

/** A member's contribution now: an identifier (state 1), none (0), or blocklisted (2). */
export interface MemberContribution {
  rid: string;
  state: 0 | 1 | 2;
  identifier: string | null;
}

/** A keyset page of identifiers: those after `after` (an MD5), in MD5 order. */
export type PageReader = (after: Buffer, limit: number) => Promise<IdentifierRow[]>;

/**
 * Which members a share recomputes: `all` (every member of the list, and every member the
 * audience holds), or `changed` (those in the candidates table).
 */
export type ShareScope = 'all' | 'changed';

const NOW = 'share_now';
/** The members a `changed` share recomputes (a temporary table of the share's connection). */
export const SHARE_CANDIDATES = 'share_candidates';
const DIFF = 'share_diff';
const ZERO = Buffer.alloc(16);
/** A share's sorts carry their rows (up to 4 KiB of identifier in utf8mb4) instead of re-reading them by row id. */
const SORT_DATA_BYTES = 8192;
const SORT_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * What each shared audience holds (its members' contributions and its identifiers with how many
 * members hold each), and the share being computed, in temporary tables of the share's own
 * connection (gone with it, so a crash leaves nothing to clean): the members to recompute, their
 * contributions now, and the identifiers whose holder count moved. Work is proportional to the
 * members recomputed, not to the list. SQL only.
 */
@Injectable()
export class SharesRepository {
  /** The audience's target row, created on its first share and locked: shares of one audience take turns. */
  async lockTarget(manager: EntityManager, orgId: string, audienceId: string): Promise<ShareTarget> {
    await manager.query('INSERT IGNORE INTO share_targets (org_id, audience_id) VALUES (?, ?)', [orgId, audienceId]);
    const [t] = await rows<Record<string, string | null>>(
      manager,
      'SELECT target_pk, last_export_id, clock, members, blocked, with_identifier, identifiers FROM share_targets WHERE org_id = ? AND audience_id = ? FOR UPDATE',
      [orgId, audienceId],
    );
    return {
      targetPk: String(t.target_pk),
      lastExportId: t.last_export_id,
      clock: t.clock === null ? null : Number(t.clock),
      counts: { members: Number(t.members), blocked: Number(t.blocked), withIdentifier: Number(t.with_identifier), identifiers: Number(t.identifiers) },
    };
  }

  async openWork(manager: EntityManager): Promise<void> {
    await this.closeWork(manager);
    // The share sorts millions of (id_hash, identifier) rows. With the default 1 KiB limit, a row
    // holding a VARCHAR(1024) is sorted by row id and read back one random row at a time (a 5M
    // share spent minutes there); above it, the sort carries the packed row along.
    await manager.query(`SET SESSION max_length_for_sort_data = ${SORT_DATA_BYTES}, sort_buffer_size = ${SORT_BUFFER_BYTES}`);
    await manager.query(`CREATE TEMPORARY TABLE ${SHARE_CANDIDATES} (rid BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB`);
    await manager.query(
      `CREATE TEMPORARY TABLE ${NOW} (rid BIGINT NOT NULL, id_hash BINARY(16) NOT NULL, state TINYINT NOT NULL, identifier VARCHAR(1024) NULL,
       PRIMARY KEY (rid, id_hash)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
    await manager.query(
      `CREATE TEMPORARY TABLE ${DIFF} (id_hash BINARY(16) NOT NULL PRIMARY KEY, d INT NOT NULL, identifier VARCHAR(1024) NULL, old_refs INT NULL)
       ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
  }

  async closeWork(manager: EntityManager): Promise<void> {
    await manager.query(`DROP TEMPORARY TABLE IF EXISTS ${SHARE_CANDIDATES}, ${NOW}, ${DIFF}`);
    // the connection goes back to the pool as it came
    await manager.query('SET SESSION max_length_for_sort_data = DEFAULT, sort_buffer_size = DEFAULT');
  }

  /**
   * The members to recompute, from the changes logged in (from, to]: answers null when a change
   * covers the whole list or org (everything is recomputed), else how many members.
   */
  async collectCandidates(manager: EntityManager, orgId: string, listPk: string, from: number, to: number): Promise<number | null> {
    const window = 'c.org_id = ? AND c.clock > ? AND c.clock <= ?';
    const [wide] = await rows<{ n: string }>(
      manager,
      `SELECT COUNT(*) AS n FROM share_changes c WHERE ${window} AND (c.kind = ${KIND.org} OR (c.kind = ${KIND.list} AND c.list_pk = ?))`,
      [orgId, from, to, listPk],
    );
    if (Number(wide.n) > 0) return null;
    let n = 0;
    n += affected(await manager.query(`INSERT IGNORE INTO ${SHARE_CANDIDATES} (rid) SELECT c.rid FROM share_changes c WHERE ${window} AND c.kind = ${KIND.recipient}`, [orgId, from, to]));
    n += affected(
      await manager.query(
        `INSERT IGNORE INTO ${SHARE_CANDIDATES} (rid) SELECT r.rid FROM share_changes c JOIN recipients r ON r.org_id = c.org_id AND r.recipient_id = c.recipient_id
          WHERE ${window} AND c.kind = ${KIND.recipientId}`,
        [orgId, from, to],
      ),
    );
    // the imports' sequences first: given as constants, the flipped rows are a range of the
    // (list_pk, changed_seq) index (joined, the optimizer scans the list's primary key instead)
    const imports = await rows<{ import_seq: string }>(
      manager,
      `SELECT DISTINCT c.import_seq FROM share_changes c WHERE ${window} AND c.kind = ${KIND.import} AND c.list_pk = ?`,
      [orgId, from, to, listPk],
    );
    for (let i = 0; i < imports.length; i += 1000) {
      const sequences = imports.slice(i, i + 1000).map((r) => r.import_seq);
      n += affected(
        await manager.query(`INSERT IGNORE INTO ${SHARE_CANDIDATES} (rid) SELECT rid FROM list_members WHERE list_pk = ? AND changed_seq IN (${placeholders(sequences.length)})`, [
          listPk,
          ...sequences,
        ]),
      );
    }
    return n;
  }

  /**
   * The contributions now of the members in scope, in one pass in member order: each present
   * member's identifiers, or one row saying it has none or is blocklisted.
   */
  async fillNow(manager: EntityManager, listPk: string, source: IdentifierSql, scope: ShareScope): Promise<void> {
    const from =
      scope === 'all'
        ? 'list_members lm'
        : `${SHARE_CANDIDATES} k JOIN list_members lm ON lm.list_pk = ? AND lm.rid = k.rid`;
    const fromParams = scope === 'all' ? [] : [listPk];
    const has = `(r.blocklisted = 0 AND ${source.expr} IS NOT NULL)`;
    await manager.query(
      `INSERT IGNORE INTO ${NOW} (rid, id_hash, state, identifier)
       SELECT lm.rid, IF(${has}, UNHEX(MD5(${source.expr})), ?), IF(r.blocklisted <> 0, 2, IF(${has}, 1, 0)), IF(${has}, ${source.expr}, NULL)
         FROM ${from} JOIN recipients r ON r.rid = lm.rid ${source.join ? `LEFT ${source.join} AND r.blocklisted = 0` : ''}
        WHERE lm.list_pk = ? AND lm.present = 1`,
      [ZERO, ...fromParams, ...source.params, listPk],
    );
  }

  /** Contributions computed in Node (encrypted identifiers). */
  async addNow(manager: EntityManager, found: MemberContribution[]): Promise<void> {
    for (let i = 0; i < found.length; i += 1000) {
      const slice = found.slice(i, i + 1000);
      await manager.query(
        `INSERT IGNORE INTO ${NOW} (rid, id_hash, state, identifier) VALUES ${slice.map(() => '(?, ?, ?, ?)').join(',')}`,
        slice.flatMap((c) => [c.rid, c.identifier === null ? ZERO : createHash('md5').update(c.identifier, 'utf8').digest(), c.state, c.identifier]),
      );
    }
  }

  /**
   * How many holders each identifier gains or loses (the members in scope now, against what the
   * audience holds for them), with the count it had; answers the target's new counts.
   */
  async diff(manager: EntityManager, targetPk: string, scope: ShareScope, before: ShareCounts): Promise<ShareCounts> {
    const held = scope === 'all' ? 'share_members sm' : `${SHARE_CANDIDATES} k JOIN share_members sm ON sm.target_pk = ? AND sm.rid = k.rid`;
    const heldParams = scope === 'all' ? [] : [targetPk];
    const count = (table: string, where: string, params: unknown[]) =>
      rows<{ members: string; with_id: string; blocked: string | null }>(
        manager,
        `SELECT COUNT(DISTINCT sm.rid) AS members, COUNT(DISTINCT IF(sm.state = 1, sm.rid, NULL)) AS with_id, SUM(sm.state = 2) AS blocked FROM ${table} WHERE ${where}`,
        params,
      );
    const [was] = await count(held, 'sm.target_pk = ?', [...heldParams, targetPk]);
    const [now] = await count(`${NOW} sm`, '1 = 1', []);
    await manager.query(
      `INSERT INTO ${DIFF} (id_hash, d, identifier) SELECT id_hash, 1, identifier FROM ${NOW} WHERE state = 1 ORDER BY id_hash ON DUPLICATE KEY UPDATE d = d + 1`,
    );
    await manager.query(
      `INSERT INTO ${DIFF} (id_hash, d) SELECT sm.id_hash, -1 FROM ${held} WHERE sm.target_pk = ? AND sm.state = 1 ORDER BY sm.id_hash ON DUPLICATE KEY UPDATE d = d - 1`,
      [...heldParams, targetPk],
    );
    await manager.query(`DELETE FROM ${DIFF} WHERE d = 0`);
    await manager.query(
      `UPDATE ${DIFF} t JOIN share_baselines b ON b.target_pk = ? AND b.id_hash = t.id_hash SET t.old_refs = b.refs, t.identifier = COALESCE(t.identifier, b.identifier)`,
      [targetPk],
    );
    const [moved] = await rows<{ added: string | null; removed: string | null }>(
      manager,
      `SELECT SUM(old_refs IS NULL AND d > 0) AS added, SUM(old_refs + d <= 0) AS removed FROM ${DIFF}`,
    );
    const n = (v: string | null | undefined) => Number(v ?? 0);
    return {
      members: before.members - n(was.members) + n(now.members),
      withIdentifier: before.withIdentifier - n(was.with_id) + n(now.with_id),
      blocked: before.blocked - n(was.blocked) + n(now.blocked),
      identifiers: before.identifiers + n(moved.added) - n(moved.removed),
    };
  }

  /**
   * The audience held nothing (a first share, or an empty list then): it now holds the
   * contributions as computed, written straight in key order with no difference to take.
   */
  async holdAll(manager: EntityManager, targetPk: string): Promise<ShareCounts> {
    const [now] = await rows<{ members: string; with_id: string; blocked: string | null }>(
      manager,
      `SELECT COUNT(DISTINCT rid) AS members, COUNT(DISTINCT IF(state = 1, rid, NULL)) AS with_id, SUM(state = 2) AS blocked FROM ${NOW}`,
    );
    await manager.query(`INSERT INTO share_members (target_pk, rid, id_hash, state) SELECT ?, rid, id_hash, state FROM ${NOW} ORDER BY rid, id_hash`, [targetPk]);
    await manager.query(
      `INSERT INTO share_baselines (target_pk, id_hash, identifier, refs) SELECT ?, id_hash, identifier, 1 FROM ${NOW} WHERE state = 1 ORDER BY id_hash
       ON DUPLICATE KEY UPDATE refs = refs + 1`,
      [targetPk],
    );
    const [held] = await rows<{ n: string }>(manager, 'SELECT COUNT(*) AS n FROM share_baselines WHERE target_pk = ?', [targetPk]);
    return { members: Number(now.members), withIdentifier: Number(now.with_id), blocked: Number(now.blocked ?? 0), identifiers: Number(held.n) };
  }

  /** Identifiers no member of the audience held and one does now. */
  added(manager: EntityManager): PageReader {
    return (after, limit) =>
      rows<IdentifierRow>(manager, `SELECT id_hash, identifier FROM ${DIFF} WHERE id_hash > ? AND old_refs IS NULL AND d > 0 ORDER BY id_hash LIMIT ?`, [after, limit]);
  }

  /** Identifiers the audience held that no member holds now. */
  removed(manager: EntityManager): PageReader {
    return (after, limit) =>
      rows<IdentifierRow>(manager, `SELECT id_hash, identifier FROM ${DIFF} WHERE id_hash > ? AND old_refs + d <= 0 ORDER BY id_hash LIMIT ?`, [after, limit]);
  }

  /** Every identifier the audience holds (after `apply`). */
  held(manager: EntityManager, targetPk: string): PageReader {
    return (after, limit) =>
      rows<IdentifierRow>(manager, 'SELECT id_hash, identifier FROM share_baselines WHERE target_pk = ? AND id_hash > ? ORDER BY id_hash LIMIT ?', [targetPk, after, limit]);
  }

  /** The audience now holds the share: its members' contributions and identifier counts move by the diff. */
  async apply(manager: EntityManager, targetPk: string, scope: ShareScope): Promise<void> {
    if (scope === 'all') {
      await manager.query(
        `DELETE sm FROM share_members sm LEFT JOIN ${NOW} n ON n.rid = sm.rid AND n.id_hash = sm.id_hash WHERE sm.target_pk = ? AND n.rid IS NULL`,
        [targetPk],
      );
    } else {
      await manager.query(`DELETE sm FROM ${SHARE_CANDIDATES} k JOIN share_members sm ON sm.target_pk = ? AND sm.rid = k.rid`, [targetPk]);
    }
    await manager.query(
      `INSERT INTO share_members (target_pk, rid, id_hash, state) SELECT ?, rid, id_hash, state FROM ${NOW} ORDER BY rid, id_hash
       ON DUPLICATE KEY UPDATE state = VALUES(state)`,
      [targetPk],
    );
    await manager.query(`DELETE b FROM ${DIFF} t JOIN share_baselines b ON b.target_pk = ? AND b.id_hash = t.id_hash WHERE t.old_refs + t.d <= 0`, [targetPk]);
    await manager.query(`UPDATE ${DIFF} t JOIN share_baselines b ON b.target_pk = ? AND b.id_hash = t.id_hash SET b.refs = b.refs + t.d WHERE t.old_refs + t.d > 0`, [
      targetPk,
    ]);
    await manager.query(
      `INSERT INTO share_baselines (target_pk, id_hash, identifier, refs) SELECT ?, id_hash, identifier, d FROM ${DIFF} WHERE old_refs IS NULL AND d > 0 ORDER BY id_hash`,
      [targetPk],
    );
  }

  /** The audience whose latest share is this export, locked (null: shared again since, resynced, or never). */
  async targetOfLatest(manager: EntityManager, orgId: string, exportId: string): Promise<string | null> {
    const [t] = await rows<{ target_pk: string }>(manager, 'SELECT target_pk FROM share_targets WHERE org_id = ? AND last_export_id = ? FOR UPDATE', [orgId, exportId]);
    return t ? String(t.target_pk) : null;
  }

  /** Makes the audience's members that had no identifier at its latest share (blocklisted ones left out) members of a list. */
  async addComplement(manager: EntityManager, listPk: string, targetPk: string): Promise<void> {
    await manager.query('INSERT IGNORE INTO list_members (list_pk, rid, present, sequence) SELECT ?, rid, 1, 0 FROM share_members WHERE target_pk = ? AND state = 0', [listPk, targetPk]);
  }

  /**
   * Records the share the audience now reflects, the clock it saw, its counts and what was shared
   * (what a kept-in-sync audience shares again); a change after that clock makes it due again.
   */
  async saveTarget(manager: EntityManager, targetPk: string, exportId: string | null, clock: number, c: ShareCounts, shared: SyncSource): Promise<void> {
    await manager.query(
      `UPDATE share_targets SET last_export_id = ?, clock = ?, members = ?, blocked = ?, with_identifier = ?, identifiers = ?, resync_list_id = NULL,
              resync_data_source = NULL, resync_segment_id = NULL, resync_audience_name = NULL, resync_requested_at = NULL,
              sync_list_id = ?, sync_data_source = ?, sync_segment_id = ?, sync_audience_name = ?, sync_due_at = NULL WHERE target_pk = ?`,
      [exportId, clock, c.members, c.blocked, c.withIdentifier, c.identifiers, shared.listId, shared.dataSource, shared.segmentId, shared.audienceName, targetPk],
    );
  }

  /** Turns keeping the audience in sync on or off (the debounce kept when not given). */
  async setSync(manager: EntityManager, targetPk: string, enabled: boolean, debounceSeconds?: number): Promise<void> {
    await manager.query('UPDATE share_targets SET sync_enabled = ?, sync_debounce_seconds = COALESCE(?, sync_debounce_seconds), sync_due_at = NULL WHERE target_pk = ?', [
      enabled ? 1 : 0,
      debounceSeconds ?? null,
      targetPk,
    ]);
  }

  async syncState(manager: EntityManager, orgId: string, audienceId: string, lock = false): Promise<SyncState | null> {
    const [t] = await rows<Record<string, string | null>>(
      manager,
      `SELECT target_pk, audience_id, sync_enabled, sync_debounce_seconds, sync_list_id, sync_due_at, last_export_id FROM share_targets WHERE org_id = ? AND audience_id = ?${lock ? ' FOR UPDATE' : ''}`,
      [orgId, audienceId],
    );
    if (!t) return null;
    return {
      targetPk: String(t.target_pk),
      audienceId: t.audience_id!,
      enabled: Number(t.sync_enabled) === 1,
      debounceSeconds: Number(t.sync_debounce_seconds),
      listId: t.sync_list_id,
      dueAt: t.sync_due_at ? new Date(t.sync_due_at).toISOString() : null,
      lastExportId: t.last_export_id,
    };
  }

  /** Kept-in-sync audiences of the list (a list they follow is not deleted under them). */
  async syncedWith(manager: EntityManager, orgId: string, listId: string): Promise<string[]> {
    return (await rows<{ audience_id: string }>(manager, 'SELECT audience_id FROM share_targets WHERE org_id = ? AND sync_enabled = 1 AND sync_list_id = ?', [orgId, listId])).map(
      (r) => r.audience_id,
    );
  }

  /** Kept-in-sync audiences with a change after their last share and no due time yet: due a debounce from now. */
  async markSyncDue(manager: EntityManager): Promise<number> {
    return affected(
      await manager.query(
        `UPDATE share_targets t SET t.sync_due_at = CURRENT_TIMESTAMP(3) + INTERVAL t.sync_debounce_seconds SECOND
          WHERE t.sync_enabled = 1 AND t.sync_due_at IS NULL AND t.clock IS NOT NULL
            AND EXISTS (SELECT 1 FROM share_changes c WHERE c.org_id = t.org_id AND c.clock > t.clock)`,
      ),
    );
  }

  /** Kept-in-sync audiences whose debounce has passed, oldest due first. */
  async dueSyncs(manager: EntityManager, limit: number): Promise<PendingResync[]> {
    const found = await rows<Record<string, string | null>>(
      manager,
      `SELECT target_pk, org_id, audience_id, sync_list_id, sync_data_source, sync_segment_id, sync_audience_name FROM share_targets
        WHERE sync_enabled = 1 AND sync_due_at <= CURRENT_TIMESTAMP(3) ORDER BY sync_due_at LIMIT ?`,
      [limit],
    );
    return found.map((r) => ({
      targetPk: String(r.target_pk),
      orgId: r.org_id!,
      audienceId: r.audience_id!,
      listId: r.sync_list_id!,
      dataSource: r.sync_data_source!,
      segmentId: r.sync_segment_id,
      audienceName: r.sync_audience_name,
    }));
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
