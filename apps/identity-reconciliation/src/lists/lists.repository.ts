import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { newListId } from '../common/ids';
import { affected, placeholders, rows, toJsonArray } from '../common/sql';

export type ListOrigin = 'import' | 'recipients' | 'query' | 'complement';

export interface ListRecord {
  listPk: string;
  orgId: string;
  listId: string;
  name: string;
  origin: ListOrigin;
  dataSource: string | null;
  segmentId: string | null;
  /** What the export gate judges: the labels its segment's imports gave it and the ones set on it (`ownLabels`). */
  labels: string[];
  ownLabels: string[];
  labelsSequence: number;
  replacedSequence: number;
  size: number;
  updatedAt: Date;
}

export interface ListFilter {
  name?: string;
  segmentId?: string;
  dataSource?: string;
}

interface Row {
  list_pk: string;
  org_id: string;
  list_id: string;
  name: string;
  origin: ListOrigin;
  data_source: string | null;
  segment_id: string | null;
  labels: string;
  own_labels: string;
  labels_sequence: string;
  replaced_sequence: string;
  size: number;
  updated_at: Date;
}

const COLUMNS = 'list_pk, org_id, list_id, name, origin, data_source, segment_id, labels, own_labels, labels_sequence, replaced_sequence, size, updated_at';

/** Lists and their members. Members are keyed (list_pk, rid); present=0 rows are tombstones. */
@Injectable()
export class ListsRepository {
  async find(manager: EntityManager, orgId: string, listId: string, lock = false): Promise<ListRecord | null> {
    const found = await rows<Row>(manager, `SELECT ${COLUMNS} FROM lists WHERE org_id = ? AND list_id = ?${lock ? ' FOR UPDATE' : ''}`, [orgId, listId]);
    return found.length ? toRecord(found[0]) : null;
  }

  /** A page of the org's lists in creation order, filtered by exact name, segment and data source when given. */
  async page(manager: EntityManager, orgId: string, afterPk: string | null, limit: number, filter: ListFilter = {}): Promise<ListRecord[]> {
    const where = ['org_id = ?'];
    const params: unknown[] = [orgId];
    if (afterPk !== null) {
      where.push('list_pk > ?');
      params.push(afterPk);
    }
    for (const [column, value] of [
      ['name', filter.name],
      ['segment_id', filter.segmentId],
      ['data_source', filter.dataSource],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const found = await rows<Row>(manager, `SELECT ${COLUMNS} FROM lists WHERE ${where.join(' AND ')} ORDER BY list_pk LIMIT ?`, [...params, limit]);
    return found.map(toRecord);
  }

  async create(manager: EntityManager, orgId: string, list: { name: string; origin: ListOrigin; labels: string[] }): Promise<ListRecord> {
    const listId = newListId();
    const now = new Date();
    await manager.query(
      'INSERT INTO lists (org_id, list_id, name, origin, labels, size, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)',
      [orgId, listId, list.name, list.origin, JSON.stringify(list.labels), now, now],
    );
    return (await this.find(manager, orgId, listId, true))!;
  }

  /**
   * A segment's labels changed (segment.changed): every list of that segment takes them, unless an
   * import accepted after the change (sequence > asOf) already gave it labels. Answers the lists changed.
   */
  async setSegmentLabels(manager: EntityManager, orgId: string, segmentId: string, labels: string[], asOf: number): Promise<number> {
    return affected(
      await manager.query('UPDATE lists SET labels = ?, labels_sequence = ?, updated_at = ? WHERE org_id = ? AND segment_id = ? AND labels_sequence <= ?', [
        JSON.stringify([...new Set(labels)].sort()),
        asOf,
        new Date(),
        orgId,
        segmentId,
        asOf,
      ]),
    );
  }

  /** Renames a list and/or replaces the labels set on it (its segment's labels stay). */
  async update(manager: EntityManager, listPk: string, patch: { name?: string; ownLabels?: string[] }): Promise<void> {
    const sets = ['updated_at = ?'];
    const params: unknown[] = [new Date()];
    if (patch.name !== undefined) {
      sets.push('name = ?');
      params.push(patch.name);
    }
    if (patch.ownLabels !== undefined) {
      sets.push('own_labels = ?');
      params.push(JSON.stringify([...new Set(patch.ownLabels)].sort()));
    }
    await manager.query(`UPDATE lists SET ${sets.join(', ')} WHERE list_pk = ?`, [...params, listPk]);
  }

  /** The list of (data source, segment), created on first use, locked for the caller's transaction. */
  async ensureImportList(manager: EntityManager, orgId: string, dataSource: string, segmentId: string): Promise<ListRecord> {
    const now = new Date();
    await manager.query(
      `INSERT IGNORE INTO lists (org_id, list_id, name, origin, data_source, segment_id, labels, size, created_at, updated_at)
       VALUES (?, ?, ?, 'import', ?, ?, '[]', 0, ?, ?)`,
      [orgId, newListId(), `segment ${segmentId} (${dataSource})`, dataSource, segmentId, now, now],
    );
    const found = await rows<Row>(manager, `SELECT ${COLUMNS} FROM lists WHERE org_id = ? AND data_source = ? AND segment_id = ? FOR UPDATE`, [
      orgId,
      dataSource,
      segmentId,
    ]);
    return toRecord(found[0]);
  }

  async updateAfterImport(manager: EntityManager, listPk: string, change: { sizeDelta: number; labels?: string[]; sequence: number; replaced: boolean }): Promise<number> {
    const sets = ['size = size + ?', 'updated_at = ?'];
    const params: unknown[] = [change.sizeDelta, new Date()];
    if (change.labels) {
      sets.push('labels = ?', 'labels_sequence = ?');
      params.push(JSON.stringify(change.labels), change.sequence);
    }
    if (change.replaced) {
      sets.push('replaced_sequence = GREATEST(replaced_sequence, ?)');
      params.push(change.sequence);
    }
    await manager.query(`UPDATE lists SET ${sets.join(', ')} WHERE list_pk = ?`, [...params, listPk]);
    const [{ size }] = await rows<{ size: number }>(manager, 'SELECT size FROM lists WHERE list_pk = ?', [listPk]);
    return Number(size);
  }

  /** Adds rids to a list (present, sequence 0); answers how many were not members yet. */
  async addMembers(manager: EntityManager, listPk: string, rids: string[]): Promise<number> {
    let added = 0;
    for (let i = 0; i < rids.length; i += 1000) {
      const slice = rids.slice(i, i + 1000);
      added += affected(
        await manager.query(`INSERT IGNORE INTO list_members (list_pk, rid, present, sequence) VALUES ${slice.map(() => '(?, ?, 1, 0)').join(',')}`, slice.flatMap((rid) => [listPk, rid])),
      );
    }
    return added;
  }

  /**
   * Makes `rids` present members (reviving a tombstone) or no longer members; answers the ones
   * whose membership changed (the rest already were, or were not, members).
   */
  async setPresence(manager: EntityManager, listPk: string, rids: string[], present: boolean): Promise<string[]> {
    if (rids.length === 0) return [];
    const already = new Set(
      (
        await rows<{ rid: string }>(manager, `SELECT rid FROM list_members WHERE list_pk = ? AND present = 1 AND rid IN (${placeholders(rids.length)})`, [listPk, ...rids])
      ).map((r) => String(r.rid)),
    );
    const changed = rids.filter((rid) => already.has(rid) !== present);
    if (changed.length === 0) return [];
    if (present) {
      await manager.query(
        `INSERT INTO list_members (list_pk, rid, present, sequence) VALUES ${changed.map(() => '(?, ?, 1, 0)').join(',')} ON DUPLICATE KEY UPDATE present = 1`,
        changed.flatMap((rid) => [listPk, rid]),
      );
    } else {
      await manager.query(`UPDATE list_members SET present = 0 WHERE list_pk = ? AND rid IN (${placeholders(changed.length)})`, [listPk, ...changed]);
    }
    return changed;
  }

  /** The list goes at once; its members are queued for the purger (a big list is never deleted in one transaction). */
  async delete(manager: EntityManager, orgId: string, listPk: string): Promise<void> {
    await manager.query('DELETE FROM lists WHERE list_pk = ?', [listPk]);
    await manager.query('INSERT IGNORE INTO list_purges (list_pk, org_id, deleted_at) VALUES (?, ?, ?)', [listPk, orgId, new Date()]);
  }

  /** The oldest deleted list whose members are still there. */
  async nextPurge(manager: EntityManager): Promise<string | null> {
    const [p] = await rows<{ list_pk: string }>(manager, 'SELECT list_pk FROM list_purges ORDER BY deleted_at, list_pk LIMIT 1');
    return p ? String(p.list_pk) : null;
  }

  /** Deletes up to `slice` members of a deleted list; once none is left, the purge is done. Answers how many went. */
  async purgeSlice(manager: EntityManager, listPk: string, slice: number): Promise<number> {
    const n = affected(await manager.query('DELETE FROM list_members WHERE list_pk = ? LIMIT ?', [listPk, slice]));
    if (n === 0) await manager.query('DELETE FROM list_purges WHERE list_pk = ?', [listPk]);
    return n;
  }

  /** Moves the list's size by the memberships that flipped (the list is locked): no count over a list of millions per edit. */
  async adjustSize(manager: EntityManager, listPk: string, delta: number): Promise<number> {
    await manager.query('UPDATE lists SET size = size + ?, updated_at = ? WHERE list_pk = ?', [delta, new Date(), listPk]);
    const [{ size }] = await rows<{ size: number }>(manager, 'SELECT size FROM lists WHERE list_pk = ?', [listPk]);
    return Number(size);
  }

  async recount(manager: EntityManager, listPk: string): Promise<number> {
    const [{ n }] = await rows<{ n: string }>(manager, 'SELECT COUNT(*) AS n FROM list_members WHERE list_pk = ? AND present = 1', [listPk]);
    await manager.query('UPDATE lists SET size = ?, updated_at = ? WHERE list_pk = ?', [Number(n), new Date(), listPk]);
    return Number(n);
  }

  /** Present members after `afterRid`, in rid order, with their recipient ids. */
  async members(manager: EntityManager, listPk: string, afterRid: string | null, limit: number): Promise<{ rid: string; recipient_id: string }[]> {
    return rows(
      manager,
      `SELECT lm.rid, r.recipient_id FROM list_members lm JOIN recipients r ON r.rid = lm.rid
       WHERE lm.list_pk = ? AND lm.present = 1${afterRid !== null ? ' AND lm.rid > ?' : ''} ORDER BY lm.rid LIMIT ?`,
      afterRid !== null ? [listPk, afterRid, limit] : [listPk, limit],
    );
  }

  /**
   * Takes a recipient out of every list of the org (tombstones too: nothing of it stays) and answers
   * the lists it was a member of, with their new sizes.
   */
  async eraseRecipient(manager: EntityManager, orgId: string, rid: string): Promise<{ listId: string; size: number }[]> {
    const memberOf = await rows<{ list_pk: string; list_id: string }>(
      manager,
      `SELECT l.list_pk, l.list_id FROM lists l JOIN list_members lm ON lm.list_pk = l.list_pk AND lm.rid = ?
       WHERE l.org_id = ? AND lm.present = 1 ORDER BY l.list_pk FOR UPDATE`,
      [rid, orgId],
    );
    await manager.query('DELETE lm FROM list_members lm JOIN lists l ON l.list_pk = lm.list_pk WHERE l.org_id = ? AND lm.rid = ?', [orgId, rid]);
    if (memberOf.length === 0) return [];
    const pks = memberOf.map((m) => m.list_pk);
    await manager.query(`UPDATE lists SET size = size - 1, updated_at = ? WHERE list_pk IN (${placeholders(pks.length)})`, [new Date(), ...pks]);
    const sizes = await rows<{ list_id: string; size: number }>(manager, `SELECT list_id, size FROM lists WHERE list_pk IN (${placeholders(pks.length)}) ORDER BY list_pk`, pks);
    return sizes.map((s) => ({ listId: s.list_id, size: Number(s.size) }));
  }
}

function toRecord(r: Row): ListRecord {
  return {
    listPk: String(r.list_pk),
    orgId: r.org_id,
    listId: r.list_id,
    name: r.name,
    origin: r.origin,
    dataSource: r.data_source,
    segmentId: r.segment_id,
    labels: [...new Set([...toJsonArray(r.labels), ...toJsonArray(r.own_labels)])].sort(),
    ownLabels: toJsonArray(r.own_labels),
    labelsSequence: Number(r.labels_sequence),
    replacedSequence: Number(r.replaced_sequence),
    size: Number(r.size),
    updatedAt: new Date(r.updated_at),
  };
}
