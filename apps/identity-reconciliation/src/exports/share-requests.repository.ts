import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ShareListDto } from '../lists/lists.dto';
import { countFailedAttempt, rows } from '../common/sql';

export interface ShareRequest {
  requestPk: string;
  orgId: string;
  exportId: string;
  listId: string;
  body: ShareListDto;
  createdAt: Date;
  failedReason: string | null;
}

interface Row {
  request_pk: string;
  org_id: string;
  export_id: string;
  list_id: string;
  body: string;
  created_at: Date;
  failed_reason: string | null;
}

const toRequest = (r: Row): ShareRequest => ({
  requestPk: String(r.request_pk),
  orgId: r.org_id,
  exportId: r.export_id,
  listId: r.list_id,
  body: JSON.parse(r.body) as ShareListDto,
  createdAt: new Date(r.created_at),
  failedReason: r.failed_reason,
});

const COLUMNS = 'request_pk, org_id, export_id, list_id, body, created_at, failed_reason';

/** Shares asked for and not made yet (`share_requests`), and those that could not be made. */
@Injectable()
export class ShareRequestsRepository {
  async add(manager: EntityManager, r: { orgId: string; exportId: string; listId: string; body: ShareListDto }): Promise<void> {
    await manager.query('INSERT INTO share_requests (org_id, export_id, list_id, body, created_at) VALUES (?, ?, ?, ?, ?)', [
      r.orgId,
      r.exportId,
      r.listId,
      JSON.stringify(r.body),
      new Date(),
    ]);
  }

  /**
   * The oldest request waiting of each org, in the lane of its list's size (`small`: lists of at
   * most `smallMax` members; a list gone since is small, its request fails at once).
   */
  async waitingByOrg(manager: EntityManager, lane: { small: boolean; smallMax: number }): Promise<ShareRequest[]> {
    const size = lane.small ? 'COALESCE(l.size, 0) <= ?' : 'l.size > ?';
    const found = await rows<Row>(
      manager,
      `SELECT ${COLUMNS.split(', ').map((c) => `q.${c}`).join(', ')}
         FROM share_requests q
         JOIN (SELECT MIN(q2.request_pk) AS request_pk FROM share_requests q2 LEFT JOIN lists l ON l.org_id = q2.org_id AND l.list_id = q2.list_id
                WHERE q2.failed_reason IS NULL AND ${size} GROUP BY q2.org_id) oldest ON oldest.request_pk = q.request_pk
        ORDER BY q.org_id`,
      [lane.smallMax],
    );
    return found.map(toRequest);
  }

  /** Locks a request for the transaction that makes its share; false when another replica holds it or it is gone. */
  async claim(manager: EntityManager, requestPk: string): Promise<boolean> {
    const found = await rows<{ request_pk: string }>(manager, 'SELECT request_pk FROM share_requests WHERE request_pk = ? AND failed_reason IS NULL FOR UPDATE SKIP LOCKED', [requestPk]);
    return found.length === 1;
  }

  async remove(manager: EntityManager, requestPk: string): Promise<void> {
    await manager.query('DELETE FROM share_requests WHERE request_pk = ?', [requestPk]);
  }

  /** Counts a failed attempt; at `maxAttempts`, or when `final`, the request fails with `reason`. Answers whether it did. */
  failed(manager: EntityManager, requestPk: string, reason: string, final: boolean, maxAttempts: number): Promise<boolean> {
    return countFailedAttempt(manager, { table: 'share_requests', key: 'request_pk', id: requestPk, reasonColumn: 'failed_reason', reasonMax: 500 }, reason, { maxAttempts, final });
  }

  async find(manager: EntityManager, orgId: string, exportId: string): Promise<ShareRequest | null> {
    const [row] = await rows<Row>(manager, `SELECT ${COLUMNS} FROM share_requests WHERE org_id = ? AND export_id = ?`, [orgId, exportId]);
    return row ? toRequest(row) : null;
  }

  async count(manager: EntityManager): Promise<{ waiting: number; failed: number }> {
    const [row] = await rows<{ waiting: string | null; failed: string | null }>(
      manager,
      'SELECT SUM(failed_reason IS NULL) AS waiting, SUM(failed_reason IS NOT NULL) AS failed FROM share_requests',
    );
    return { waiting: Number(row?.waiting ?? 0), failed: Number(row?.failed ?? 0) };
  }
}

