import { createHash } from 'node:crypto';

/** An RFC 4122 name-based (version 5 style) UUID of `name`. */
function nameUuid(name: string): string {
  const h = createHash('sha1').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The `audience.published` event id of one version: derived from (org, audience, version), so
 * even a version published twice (it cannot be, but consumers need not trust that) carries one id.
 */
export function publishedEventId(orgId: string, audienceId: string, version: number): string {
  return nameUuid(`audience.published\u0000${orgId}\u0000${audienceId}\u0000${version}`);
}

/** The `audience.resync` event id of a refused delta: one request per export, however often it is refused. */
export function resyncEventId(orgId: string, exportId: string): string {
  return nameUuid(`audience.resync\u0000${orgId}\u0000${exportId}`);
}
