import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { nextStamp } from '../outbound/outbound-naming';
import { num } from '../common/sql';

/**
 * Outbound names carry unix seconds per DPID (`ftp_dpm_<DPID>_<seconds>`): two publications of
 * one org and DPID in the same second would collide. This clock hands out strictly increasing
 * stamps per (org, DPID), under a row lock.
 */
@Injectable()
export class FileClockRepository {
  /** The next stamp; `reserve` stamps from it on are the caller's (a publication that writes two batches). */
  async next(manager: EntityManager, orgId: string, dpid: number, nowMs = Date.now(), reserve = 1): Promise<number> {
    const rows: { last_stamp: number | string }[] = await manager.query('SELECT last_stamp FROM file_clock WHERE org_id = ? AND dpid = ? FOR UPDATE', [orgId, dpid]);
    const stamp = nextStamp(rows.length ? num(rows[0].last_stamp) : null, nowMs);
    await manager.query('INSERT INTO file_clock (org_id, dpid, last_stamp) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE last_stamp = VALUES(last_stamp)', [orgId, dpid, stamp + reserve - 1]);
    return stamp;
  }
}
