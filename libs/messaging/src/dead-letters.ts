import { randomBytes } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import type { TopicName } from '@audx/contracts';

/**
 * The index of what a service dead-lettered: each message it wrote to `<topic>.dlq`, kept in the
 * service's own schema with its org (when the envelope names one), its reason and its fate, so an
 * operator can list an org's dead letters, replay one to its topic or discard it. The Kafka DLQ
 * stays the record for other tools. One row per original message (its topic, partition and offset
 * for this consumer): a batch dead-lettered again after a crash is indexed once.
 */
export interface DeadLetter {
  consumer: string;
  topic: TopicName;
  partition: number;
  offset: string;
  orgId: string | null;
  eventType: string | null;
  key: string;
  value: string;
  /** The message's headers, less `authorization`: a token is never kept at rest. */
  headers: Record<string, string>;
  reason: string;
}

export const DEAD_LETTERS_DDL = `CREATE TABLE IF NOT EXISTS dead_letters (
  dead_letter_pk BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dead_letter_id VARCHAR(40) NOT NULL,
  consumer VARCHAR(255) NOT NULL,
  topic VARCHAR(200) NOT NULL,
  original_partition INT NOT NULL,
  original_offset BIGINT NOT NULL,
  org_id VARCHAR(64) NULL,
  event_type VARCHAR(100) NULL,
  event_key VARCHAR(1024) NOT NULL,
  event_value MEDIUMTEXT NOT NULL,
  headers TEXT NOT NULL,
  reason VARCHAR(2000) NOT NULL,
  status ENUM('dead', 'replayed', 'discarded') NOT NULL DEFAULT 'dead',
  handled_by VARCHAR(128) NULL,
  handled_at DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_dead_letters_id (dead_letter_id),
  UNIQUE KEY uq_dead_letters_origin (consumer, topic, original_partition, original_offset),
  KEY ix_dead_letters_org (org_id, status, dead_letter_pk)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

/** Every service's schema gets the dead-letter index. */
export class DeadLetters1765700000000 implements MigrationInterface {
  name = 'DeadLetters1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(DEAD_LETTERS_DDL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS dead_letters');
  }
}

/** What the index keeps of a message the consumer could not apply. */
export function deadLetterOf(consumer: string, topic: TopicName, partition: number, message: KafkaMessage, reason: string): DeadLetter {
  const value = message.value?.toString('utf8') ?? '';
  let orgId: string | null = null;
  let eventType: string | null = null;
  try {
    const e = JSON.parse(value) as { orgId?: unknown; type?: unknown };
    if (typeof e.orgId === 'string' && e.orgId.length <= 64) orgId = e.orgId;
    if (typeof e.type === 'string' && e.type.length <= 100) eventType = e.type;
  } catch {
    /* not JSON: no org can be told, only an operator sees it */
  }
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(message.headers ?? {})) {
    if (name.toLowerCase() === 'authorization' || v === undefined) continue;
    headers[name] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  }
  return { consumer, topic, partition, offset: message.offset, orgId, eventType, key: message.key?.toString('utf8') ?? '', value, headers, reason: reason.slice(0, 2000) };
}

/** Indexes dead letters once they are in their DLQ (idempotent). */
export async function recordDeadLetters(db: DataSource, letters: DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await db.query(
    `INSERT IGNORE INTO dead_letters (dead_letter_id, consumer, topic, original_partition, original_offset, org_id, event_type, event_key, event_value, headers, reason)
     VALUES ${letters.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    letters.flatMap((l) => [`dlq_${randomBytes(12).toString('hex')}`, l.consumer, l.topic, l.partition, l.offset, l.orgId, l.eventType, l.key.slice(0, 1024), l.value, JSON.stringify(l.headers), l.reason]),
  );
}
