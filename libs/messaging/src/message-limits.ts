/**
 * Kafka's default `message.max.bytes` is 1,048,588 bytes, and kafkajs puts every message of one
 * partition of a send into one record batch, which the broker measures against that limit. We
 * keep well under it everywhere, so a production broker left at its defaults takes what we send.
 */
export const BROKER_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** Largest total of keys and values in one producer send (room for headers and batch overhead). */
export const SEND_BUDGET_BYTES = 512 * 1024;

/** Largest single record we try to send; a larger outbox row can never be sent and is parked. */
export const MAX_RECORD_BYTES = 900 * 1024;

/** What a bulk chunk (import members, export identifiers) may weigh before it is cut. */
export const CHUNK_BUDGET_BYTES = 384 * 1024;

export interface Sized {
  key: string;
  value: string | null;
}

export function recordBytes(r: Sized): number {
  return Buffer.byteLength(r.key) + (r.value === null ? 0 : Buffer.byteLength(r.value)) + 64;
}

/** Splits records, in order, into groups whose total stays within `budget` (a group holds at least one). */
export function splitByBytes<T extends Sized>(records: readonly T[], budget = SEND_BUDGET_BYTES): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = recordBytes(r);
    if (current.length > 0 && bytes + size > budget) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length) groups.push(current);
  return groups;
}

/**
 * Kafka errors that say "this record will never be accepted", as opposed to a broker that is
 * down or busy: retrying the same record forever would block everything behind it.
 */
const UNSENDABLE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TOPIC_EXCEPTION', 'TOPIC_AUTHORIZATION_FAILED']);

export function unsendableReason(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && UNSENDABLE.has(type)) return type;
    e = (e as { cause?: unknown; originalError?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return null;
}
