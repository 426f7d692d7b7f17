import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { affected, rows } from '../common/sql';
import type { MemberRow } from './identifier-resolver';

export interface ShareRow {
  export_id: string;
  list_id: string;
  data_source: string;
  segment_id: string | null;
  audience_name: string | null;
  mode: string;
  chunks: number;
  members: number;
  with_identifier: number;
  complement: number;
  blocked: number;
  created_at: Date;
}

export interface NewShare {
  orgId: string;
  exportId: string;
  listId: string;
  dataSource: string;
  segmentId: string | null;
  audienceName: string | null;
  mode: string;
  chunks: number;
  members: number;
  withIdentifier: number;
  complement: number;
  blocked: number;
  identifiers: number;
}

export interface StoredChunk {
  orgId: string;
  exportId: string;
  seq: number;
  eventId: string;
  key: string;
  value: string;
}

export interface SendingExport {
  orgId: string;
  exportId: string;
  chunks: number;
  chunksSent: number;
}

/** Shares (exports) and the snapshot of their `list.exported` chunks waiting to be sent. SQL only. */
@Injectable()
export class ExportsRepository {
  /** One page of a list's present members (only those in the `restrictTo` table of rids, when given), by rid, with the columns the matcher's key needs. */
  memberPage(manager: EntityManager, listPk: string, after: string, keyColumns: string, limit: number, restrictTo: string | null = null): Promise<MemberRow[]> {
    return rows<MemberRow>(
      manager,
      `SELECT lm.rid, r.recipient_id, r.blocklisted, ${keyColumns}
       FROM ${restrictTo ? `${restrictTo} k JOIN list_members lm ON lm.rid = k.rid AND lm.list_pk = ?` : 'list_members lm'} JOIN recipients r ON r.rid = lm.rid
       WHERE lm.list_pk = ? AND lm.present = 1 AND lm.rid > ? ORDER BY lm.rid LIMIT ?`,
      restrictTo ? [listPk, listPk, after, limit] : [listPk, after, limit],
    );
  }

  async insertChunk(manager: EntityManager, c: StoredChunk): Promise<void> {
    await manager.query('INSERT INTO export_chunks (org_id, export_id, seq, event_id, msg_key, value) VALUES (?, ?, ?, ?, ?, ?)', [
      c.orgId,
      c.exportId,
      c.seq,
      c.eventId,
      c.key,
      c.value,
    ]);
  }

  /** Records a share whose chunks are snapshotted: the sender takes it from here. */
  async insert(manager: EntityManager, s: NewShare): Promise<void> {
    await manager.query(
      `INSERT INTO exports (org_id, export_id, list_id, data_source, segment_id, audience_name, mode, chunks, members, with_identifier, complement, blocked, identifiers, created_at, send_status, chunks_sent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'sending', 0)`,
      [s.orgId, s.exportId, s.listId, s.dataSource, s.segmentId, s.audienceName, s.mode, s.chunks, s.members, s.withIdentifier, s.complement, s.blocked, s.identifiers, new Date()],
    );
  }

  async find(manager: EntityManager, orgId: string, exportId: string): Promise<ShareRow | undefined> {
    const [r] = await rows<ShareRow>(
      manager,
      'SELECT export_id, list_id, data_source, segment_id, audience_name, mode, chunks, members, with_identifier, complement, blocked, created_at FROM exports WHERE org_id = ? AND export_id = ?',
      [orgId, exportId],
    );
    return r;
  }

  /** Shares with chunks still to send, oldest first. */
  async sending(manager: EntityManager, limit: number): Promise<SendingExport[]> {
    const found = await rows<{ org_id: string; export_id: string; chunks: number; chunks_sent: number }>(
      manager,
      "SELECT org_id, export_id, chunks, chunks_sent FROM exports WHERE send_status = 'sending' ORDER BY created_at, export_id LIMIT ?",
      [limit],
    );
    return found.map((r) => ({ orgId: r.org_id, exportId: r.export_id, chunks: Number(r.chunks), chunksSent: Number(r.chunks_sent) }));
  }

  /** The next chunks of a share from `fromSeq`, in order, while their values stay within `maxBytes` (at least one). */
  async chunksFrom(manager: EntityManager, orgId: string, exportId: string, fromSeq: number, maxCount: number, maxBytes: number): Promise<StoredChunk[]> {
    const sizes = await rows<{ seq: number; bytes: number }>(
      manager,
      'SELECT seq, OCTET_LENGTH(value) AS bytes FROM export_chunks WHERE org_id = ? AND export_id = ? AND seq >= ? ORDER BY seq LIMIT ?',
      [orgId, exportId, fromSeq, maxCount],
    );
    let upTo = fromSeq;
    let total = 0;
    for (const s of sizes) {
      if (Number(s.seq) !== upTo || (upTo > fromSeq && total + Number(s.bytes) > maxBytes)) break;
      total += Number(s.bytes);
      upTo++;
    }
    if (upTo === fromSeq) return [];
    const found = await rows<{ seq: number; event_id: string; msg_key: string; value: string }>(
      manager,
      'SELECT seq, event_id, msg_key, value FROM export_chunks WHERE org_id = ? AND export_id = ? AND seq >= ? AND seq < ? ORDER BY seq',
      [orgId, exportId, fromSeq, upTo],
    );
    return found.map((r) => ({ orgId, exportId, seq: Number(r.seq), eventId: r.event_id, key: r.msg_key, value: r.value }));
  }

  /** Kafka has chunks `fromSeq` .. `upTo - 1`: progress moves past them (once) and their snapshot rows go. */
  async chunksSent(manager: EntityManager, orgId: string, exportId: string, fromSeq: number, upTo: number): Promise<void> {
    const moved = affected(
      await manager.query(
        "UPDATE exports SET chunks_sent = ?, send_status = IF(? >= chunks, 'sent', 'sending') WHERE org_id = ? AND export_id = ? AND chunks_sent = ?",
        [upTo, upTo, orgId, exportId, fromSeq],
      ),
    );
    if (moved) await manager.query('DELETE FROM export_chunks WHERE org_id = ? AND export_id = ? AND seq >= ? AND seq < ?', [orgId, exportId, fromSeq, upTo]);
  }

  /** Kafka will never take this share's next chunk: it stops here, with the reason, and its snapshot goes. */
  async park(manager: EntityManager, orgId: string, exportId: string, reason: string): Promise<void> {
    await manager.query("UPDATE exports SET send_status = 'parked', send_error = ? WHERE org_id = ? AND export_id = ?", [reason.slice(0, 500), orgId, exportId]);
    await manager.query('DELETE FROM export_chunks WHERE org_id = ? AND export_id = ?', [orgId, exportId]);
  }
}
