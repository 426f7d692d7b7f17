import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { bulkInsert } from '@audx/persistence';
import { placeholders, rows } from '../common/sql';

export interface VisitorLink {
  visitorId: string;
  recipientId: string;
  linkedAt: Date;
}

/**
 * `visitor_links` keeps every (visitor, recipient) pair with its latest time; `visitors` keeps the
 * link each visitor resolves to: the most recent one (a later or equal time replaces the current).
 */
@Injectable()
export class VisitorsRepository {
  /** Answers the recipients whose visitors changed: those linked, and those a visitor moved away from. */
  async link(manager: EntityManager, orgId: string, links: VisitorLink[], rowsPerStatement: number): Promise<string[]> {
    if (links.length === 0) return [];
    const touched = new Set(links.map((l) => l.recipientId));
    for (const owner of await this.owners(manager, orgId, links.map((l) => l.visitorId))) touched.add(owner);
    await bulkInsert(
      manager,
      'visitor_links',
      ['org_id', 'recipient_id', 'visitor_id', 'linked_at'],
      links.map((l) => [orgId, l.recipientId, l.visitorId, l.linkedAt]),
      { suffix: 'ON DUPLICATE KEY UPDATE linked_at = GREATEST(linked_at, VALUES(linked_at))', rowsPerStatement },
    );
    // assignments run left to right: recipient_id must be decided before linked_at moves
    await bulkInsert(
      manager,
      'visitors',
      ['org_id', 'visitor_id', 'recipient_id', 'linked_at'],
      links.map((l) => [orgId, l.visitorId, l.recipientId, l.linkedAt]),
      {
        suffix:
          'ON DUPLICATE KEY UPDATE recipient_id = IF(VALUES(linked_at) >= linked_at, VALUES(recipient_id), recipient_id), linked_at = GREATEST(linked_at, VALUES(linked_at))',
        rowsPerStatement,
      },
    );
    return [...touched];
  }

  /** The recipients the visitors resolve to now. */
  private async owners(manager: EntityManager, orgId: string, visitorIds: string[]): Promise<string[]> {
    const out: string[] = [];
    const ids = [...new Set(visitorIds)];
    for (let i = 0; i < ids.length; i += 1000) {
      const slice = ids.slice(i, i + 1000);
      const found = await rows<{ recipient_id: string }>(manager, `SELECT recipient_id FROM visitors WHERE org_id = ? AND visitor_id IN (${placeholders(slice.length)})`, [orgId, ...slice]);
      for (const f of found) out.push(f.recipient_id);
    }
    return out;
  }

  /**
   * Forgets every link of a recipient; its visitors fall back to their previous most recent link,
   * if any. Answers the recipients they fell back to.
   */
  async unlinkRecipient(manager: EntityManager, orgId: string, recipientId: string): Promise<string[]> {
    const current = await rows<{ visitor_id: string }>(manager, 'SELECT visitor_id FROM visitors WHERE org_id = ? AND recipient_id = ? FOR UPDATE', [orgId, recipientId]);
    await manager.query('DELETE FROM visitor_links WHERE org_id = ? AND recipient_id = ?', [orgId, recipientId]);
    await manager.query('DELETE FROM visitors WHERE org_id = ? AND recipient_id = ?', [orgId, recipientId]);
    const ids = current.map((c) => c.visitor_id);
    const fellBackTo = new Set<string>();
    for (let i = 0; i < ids.length; i += 1000) {
      const slice = ids.slice(i, i + 1000);
      const previous = await rows<{ visitor_id: string; recipient_id: string; linked_at: Date }>(
        manager,
        `SELECT visitor_id, recipient_id, linked_at FROM visitor_links WHERE org_id = ? AND visitor_id IN (${placeholders(slice.length)})
         ORDER BY visitor_id, linked_at DESC, recipient_id`,
        [orgId, ...slice],
      );
      const best = new Map<string, { recipient_id: string; linked_at: Date }>();
      for (const p of previous) if (!best.has(p.visitor_id)) best.set(p.visitor_id, p);
      for (const p of best.values()) fellBackTo.add(p.recipient_id);
      await bulkInsert(
        manager,
        'visitors',
        ['org_id', 'visitor_id', 'recipient_id', 'linked_at'],
        [...best.entries()].map(([v, p]) => [orgId, v, p.recipient_id, p.linked_at]),
        { ignore: true },
      );
    }
    return [...fellBackTo];
  }

  /** The recipient a visitor resolves to now, or null. */
  async current(manager: EntityManager, orgId: string, visitorId: string): Promise<string | null> {
    const found = await rows<{ recipient_id: string }>(manager, 'SELECT recipient_id FROM visitors WHERE org_id = ? AND visitor_id = ?', [orgId, visitorId]);
    return found[0]?.recipient_id ?? null;
  }
}
