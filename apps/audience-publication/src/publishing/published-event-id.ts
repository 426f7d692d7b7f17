import { createHash } from 'node:crypto';

/**
 * The `audience.published` event id of one version: derived from (org, audience, version), so
 * even a version published twice (it cannot be, but consumers need not trust that) carries one id.
 * Formatted as an RFC 4122 name-based (version 5 style) UUID.
 */
export function publishedEventId(orgId: string, audienceId: string, version: number): string {
  const h = createHash('sha1').update(`audience.published\u0000${orgId}\u0000${audienceId}\u0000${version}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
