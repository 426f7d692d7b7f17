import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, ListExported } from '@audx/contracts';

export interface InboxChunk {
  id: string;
  orgId: string;
  /** The validated envelope as JSON. */
  envelope: string;
}

/** Chunks accepted by the consumer and not staged yet (`export_inbox`). SQL only. */
@Injectable()
export class ExportInboxRepository {
  /** Keeps a validated chunk for the stager; one already waiting is ignored (a redelivery). */
  async accept(manager: EntityManager, envelope: Envelope<ListExported>): Promise<void> {
    await manager.query('INSERT IGNORE INTO export_inbox (org_id, export_id, seq, envelope, received_at) VALUES (?, ?, ?, ?, ?)', [
      envelope.orgId,
      envelope.payload.exportId,
      envelope.payload.seq,
      JSON.stringify(envelope),
      new Date(),
    ]);
  }

  /** The orgs with chunks waiting, in org order: the stager serves them in turn. */
  async waitingOrgs(manager: EntityManager): Promise<string[]> {
    const found: { org_id: string }[] = await manager.query('SELECT DISTINCT org_id FROM export_inbox WHERE parked = 0 ORDER BY org_id');
    return found.map((f) => f.org_id);
  }

  async counts(manager: EntityManager): Promise<{ waiting: number; parked: number }> {
    const [row]: { waiting: string | null; parked: string | null }[] = await manager.query('SELECT SUM(parked = 0) AS waiting, SUM(parked = 1) AS parked FROM export_inbox');
    return { waiting: Number(row?.waiting ?? 0), parked: Number(row?.parked ?? 0) };
  }

  /** One org's oldest waiting chunk, locked; one another replica holds is skipped, never waited for. */
  async take(manager: EntityManager, orgId: string): Promise<InboxChunk | null> {
    const [row]: { id: string; org_id: string; envelope: string | Buffer }[] = await manager.query(
      'SELECT id, org_id, envelope FROM export_inbox WHERE parked = 0 AND org_id = ? ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED',
      [orgId],
    );
    return row ? { id: String(row.id), orgId: row.org_id, envelope: row.envelope.toString() } : null;
  }

  async remove(manager: EntityManager, id: string): Promise<void> {
    await manager.query('DELETE FROM export_inbox WHERE id = ?', [id]);
  }

  /** Counts a failed attempt; parked (never taken again, the reason kept) at `maxAttempts`. Answers whether it was. */
  async failed(manager: EntityManager, id: string, reason: string, maxAttempts: number): Promise<boolean> {
    await manager.query('UPDATE export_inbox SET attempts = attempts + 1, parked = attempts >= ?, parked_reason = IF(attempts >= ?, ?, NULL) WHERE id = ?', [
      maxAttempts,
      maxAttempts,
      reason.slice(0, 1000),
      id,
    ]);
    const [row]: { parked: number }[] = await manager.query('SELECT parked FROM export_inbox WHERE id = ?', [id]);
    return Number(row?.parked ?? 0) === 1;
  }
}
