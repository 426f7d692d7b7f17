import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, SegmentMembership } from '@audx/contracts';

export interface BufferedMembership {
  id: string;
  org_id: string;
  data_source: string;
  user_id: string;
  segment_id: string;
  realized: number;
}

/** `segment.membership` events waiting to become an import. SQL only. */
@Injectable()
export class MembershipBufferRepository {
  /** A slice of events, in one multi-row insert: at thousands of events a second, a statement per event is what limits the stream. */
  async append(manager: EntityManager, envelopes: Envelope<SegmentMembership>[]): Promise<void> {
    if (envelopes.length === 0) return;
    await manager.query(
      `INSERT INTO membership_buffer (org_id, data_source, user_id, segment_id, realized, observed_at) VALUES ${envelopes.map(() => '(?, ?, ?, ?, ?, ?)').join(',')}`,
      envelopes.flatMap(({ orgId, payload: p }) => [orgId, p.dataSource, p.userId, p.segmentId, p.status === 'realized' ? 1 : 0, new Date(p.observedAt)]),
    );
  }

  /** The oldest events, locked until the caller's transaction ends. */
  async takeOldest(manager: EntityManager, limit: number): Promise<BufferedMembership[]> {
    return manager.query('SELECT id, org_id, data_source, user_id, segment_id, realized FROM membership_buffer ORDER BY id LIMIT ? FOR UPDATE', [limit]);
  }

  async remove(manager: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(`DELETE FROM membership_buffer WHERE id IN (${ids.map(() => '?').join(',')})`, ids);
  }
}
