import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { SegmentImported } from '@audx/contracts';
import { affected, countFailedAttempt, rows } from '../common/sql';

export interface InboxChunk {
  id: string;
  orgId: string;
  /** The chunk as JSON: parsed by the expander, so that a row it cannot read is parked like any failure. */
  payload: string;
}

/** Chunks accepted by the consumer and not staged yet (`import_inbox`), oldest first per org. */
@Injectable()
export class ChunkInboxRepository {
  /** Keeps a validated chunk for the expander; a chunk already waiting is ignored (a redelivery). */
  async accept(manager: EntityManager, orgId: string, chunk: SegmentImported): Promise<void> {
    await manager.query('INSERT IGNORE INTO import_inbox (org_id, import_id, seq, payload, received_at) VALUES (?, ?, ?, ?, ?)', [
      orgId,
      chunk.importId,
      chunk.seq,
      JSON.stringify(chunk),
      new Date(),
    ]);
  }

  /** The orgs with chunks waiting and how many each, in org order: the expander serves them in turn, so one org's big file never holds back another's. */
  async waitingOrgs(manager: EntityManager): Promise<{ orgId: string; waiting: number }[]> {
    const found = await rows<{ org_id: string; n: string }>(manager, 'SELECT org_id, COUNT(*) AS n FROM import_inbox WHERE parked_reason IS NULL GROUP BY org_id ORDER BY org_id');
    return found.map((f) => ({ orgId: f.org_id, waiting: Number(f.n) }));
  }

  /** Chunks waiting for the expander, and chunks parked after failing too often (for the metrics). */
  async counts(manager: EntityManager): Promise<{ waiting: number; parked: number }> {
    const [row] = await rows<{ waiting: string | null; parked: string | null }>(
      manager,
      'SELECT SUM(parked_reason IS NULL) AS waiting, SUM(parked_reason IS NOT NULL) AS parked FROM import_inbox',
    );
    return { waiting: Number(row?.waiting ?? 0), parked: Number(row?.parked ?? 0) };
  }

  /** Takes one org's oldest waiting chunk, locked; a chunk another replica holds is skipped, never waited for. */
  async take(manager: EntityManager, orgId: string): Promise<InboxChunk | null> {
    const [row] = await rows<{ id: string; org_id: string; payload: Buffer | string }>(
      manager,
      'SELECT id, org_id, payload FROM import_inbox WHERE org_id = ? AND parked_reason IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED',
      [orgId],
    );
    if (!row) return null;
    return { id: String(row.id), orgId: row.org_id, payload: row.payload.toString() };
  }

  /** Counts a failed attempt; the chunk is parked (never taken again) at `maxAttempts`. Answers whether it was. */
  failed(manager: EntityManager, id: string, reason: string, maxAttempts: number): Promise<boolean> {
    return countFailedAttempt(manager, { table: 'import_inbox', key: 'id', id, reasonColumn: 'parked_reason', reasonMax: 1000 }, reason, { maxAttempts });
  }

  async remove(manager: EntityManager, id: string): Promise<boolean> {
    return affected(await manager.query('DELETE FROM import_inbox WHERE id = ?', [id])) === 1;
  }
}
