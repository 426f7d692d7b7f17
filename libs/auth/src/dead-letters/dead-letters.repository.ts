import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { SqlConditions } from '@audx/platform';

export type DeadLetterStatus = 'dead' | 'replayed' | 'discarded';

export interface DeadLetterRow {
  deadLetterPk: number;
  deadLetterId: string;
  topic: string;
  partition: number;
  offset: string;
  consumer: string;
  eventType: string | null;
  key: string;
  value: string;
  headers: Record<string, string>;
  reason: string;
  status: DeadLetterStatus;
  handledBy: string | null;
  handledAt: string | null;
  createdAt: string;
}

export interface DeadLetterFilter {
  status?: DeadLetterStatus;
  topic?: string;
}

const COLUMNS = 'dead_letter_pk, dead_letter_id, topic, original_partition, original_offset, consumer, event_type, event_key, event_value, headers, reason, status, handled_by, handled_at, created_at';

function toRow(r: Record<string, unknown>): DeadLetterRow {
  return {
    deadLetterPk: Number(r.dead_letter_pk),
    deadLetterId: String(r.dead_letter_id),
    topic: String(r.topic),
    partition: Number(r.original_partition),
    offset: String(r.original_offset),
    consumer: String(r.consumer),
    eventType: (r.event_type as string | null) ?? null,
    key: String(r.event_key),
    value: String(r.event_value),
    headers: JSON.parse(String(r.headers)) as Record<string, string>,
    reason: String(r.reason),
    status: r.status as DeadLetterStatus,
    handledBy: (r.handled_by as string | null) ?? null,
    handledAt: r.handled_at ? new Date(r.handled_at as string).toISOString() : null,
    createdAt: new Date(r.created_at as string).toISOString(),
  };
}

/** The service's dead-letter index (`dead_letters`, libs/messaging), read and changed for one org at a time. SQL only. */
@Injectable()
export class DeadLettersRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async page(orgId: string, filter: DeadLetterFilter, beforePk: number | null, limit: number): Promise<DeadLetterRow[]> {
    const w = new SqlConditions().when('org_id = ?', orgId).when('status = ?', filter.status).when('topic = ?', filter.topic).when('dead_letter_pk < ?', beforePk);
    const rows: Record<string, unknown>[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM dead_letters WHERE ${w.sql} ORDER BY dead_letter_pk DESC LIMIT ?`, [...w.params, limit]);
    return rows.map(toRow);
  }

  async find(manager: EntityManager, orgId: string, deadLetterId: string, lock = false): Promise<DeadLetterRow | null> {
    const rows: Record<string, unknown>[] = await manager.query(`SELECT ${COLUMNS} FROM dead_letters WHERE org_id = ? AND dead_letter_id = ?${lock ? ' FOR UPDATE' : ''}`, [orgId, deadLetterId]);
    return rows[0] ? toRow(rows[0]) : null;
  }

  async mark(manager: EntityManager, deadLetterPk: number, status: Exclude<DeadLetterStatus, 'dead'>, by: string): Promise<void> {
    await manager.query("UPDATE dead_letters SET status = ?, handled_by = ?, handled_at = CURRENT_TIMESTAMP(3) WHERE dead_letter_pk = ? AND status = 'dead'", [status, by, deadLetterPk]);
  }
}
