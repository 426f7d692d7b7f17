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

  /** The oldest requests waiting, to run in order. */
  async waiting(manager: EntityManager, limit: number): Promise<ShareRequest[]> {
    return (await rows<Row>(manager, `SELECT ${COLUMNS} FROM share_requests WHERE failed_reason IS NULL ORDER BY request_pk LIMIT ?`, [limit])).map(toRequest);
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

