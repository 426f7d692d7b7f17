import { createHash } from 'node:crypto';
import { z } from 'zod';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Event ids are de-duplication keys of 36 characters. Ours are UUIDs; an outside producer's id
 * (`evt-1`, a ULID, a long trace id) is kept as a stable UUID-shaped digest of itself, so the
 * same id always dedupes the same way.
 */
export function eventKey(id: string): string {
  return UUID.test(id) ? id.toLowerCase() : digestUuid(id, '8');
}

/** A deterministic UUID-shaped id from SHA-256 of `input`, with the given version nibble. */
export function digestUuid(input: string, version: '5' | '8'): string {
  const h = createHash('sha256').update(input, 'utf8').digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${version}${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The one envelope every message on every topic carries. */
export const EnvelopeSchema = z.object({
  id: z.string().min(1).max(512).transform(eventKey),
  type: z.string().min(1),
  version: z.number().int().positive(),
  orgId: z.string().min(1),
  occurredAt: z.string().datetime({ offset: true }),
  // optional for outside producers; ours always set it (null when there is none)
  correlationId: z.string().min(1).max(512).nullable().default(null),
  producer: z.string().min(1),
  payload: z.unknown(),
});

export type Envelope<P = unknown> = Omit<z.output<typeof EnvelopeSchema>, 'payload'> & { payload: P };
