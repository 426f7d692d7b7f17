import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { affected, rows } from '../common/sql';

/** What may have changed the identifiers a list exports. */
export type Change =
  /** a recipient's identifiers, blocklisting or existence */
  | { kind: 'recipient'; rid: string }
  /** the same, by recipient id (visitor links know no rid) */
  | { kind: 'recipientId'; recipientId: string }
  /** the memberships of a list an import flipped (list_members.changed_seq = sequence) */
  | { kind: 'import'; listPk: string; sequence: number }
  /** every membership of a list */
  | { kind: 'list'; listPk: string }
  /** everything of the org (a data source's rules) */
  | { kind: 'org' };

export const ChangeKind = { recipient: 1, recipientId: 2, import: 3, list: 4, org: 5 } as const;

export interface OrgClock {
  clock: number;
  prunedClock: number;
}

const ROWS_PER_STATEMENT = 1000;

/** The change log and each org's clock. SQL only. */
@Injectable()
export class ChangeLogRepository {
  /**
   * Moves the org's clock on and answers it. The row stays locked until the caller commits, so
   * changes become visible in clock order: keep it the transaction's last write.
   */
  async tick(manager: EntityManager, orgId: string): Promise<number> {
    await manager.query('INSERT INTO share_clock (org_id, clock) VALUES (?, 1) ON DUPLICATE KEY UPDATE clock = clock + 1', [orgId]);
    const [c] = await rows<{ clock: string }>(manager, 'SELECT clock FROM share_clock WHERE org_id = ?', [orgId]);
    return Number(c.clock);
  }

  async append(manager: EntityManager, orgId: string, clock: number, changes: Change[]): Promise<void> {
    for (let i = 0; i < changes.length; i += ROWS_PER_STATEMENT) {
      const slice = changes.slice(i, i + ROWS_PER_STATEMENT);
      await manager.query(
        `INSERT INTO share_changes (org_id, clock, kind, list_pk, rid, recipient_id, import_seq) VALUES ${slice.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        slice.flatMap((c) => [
          orgId,
          clock,
          ChangeKind[c.kind],
          'listPk' in c ? c.listPk : null,
          c.kind === 'recipient' ? c.rid : null,
          c.kind === 'recipientId' ? c.recipientId : null,
          c.kind === 'import' ? c.sequence : null,
        ]),
      );
    }
  }

  /** The org's clock, as the caller's transaction reads it. */
  async readClock(manager: EntityManager, orgId: string): Promise<OrgClock> {
    const [c] = await rows<{ clock: string; pruned_clock: string }>(manager, 'SELECT clock, pruned_clock FROM share_clock WHERE org_id = ?', [orgId]);
    return { clock: Number(c?.clock ?? 0), prunedClock: Number(c?.pruned_clock ?? 0) };
  }

  /** Orgs with changes logged before `before`, and the newest clock among those changes. */
  async prunable(manager: EntityManager, before: Date): Promise<{ orgId: string; clock: number }[]> {
    const found = await rows<{ org_id: string; clock: string }>(manager, 'SELECT org_id, MAX(clock) AS clock FROM share_changes WHERE created_at < ? GROUP BY org_id', [before]);
    return found.map((f) => ({ orgId: f.org_id, clock: Number(f.clock) }));
  }

  /** Raises the org's pruned clock first (a share older than it starts over), then deletes a slice; answers how many rows went. */
  async prune(manager: EntityManager, orgId: string, throughClock: number, limit: number): Promise<number> {
    await manager.query('UPDATE share_clock SET pruned_clock = GREATEST(pruned_clock, ?) WHERE org_id = ?', [throughClock, orgId]);
    return affected(await manager.query('DELETE FROM share_changes WHERE org_id = ? AND clock <= ? ORDER BY clock LIMIT ?', [orgId, throughClock, limit]));
  }
}
