import { createHash } from 'node:crypto';

export interface AudienceIdentity {
  orgId: string;
  dataSource: string;
  segmentId: string | null;
  audienceName: string | null;
  listId: string;
}

/**
 * What identifies a shared audience: the org, the data source, and the segment id (or, without
 * one, the audience name; without either, the list). The same share always lands on the same
 * audience, so its versions follow each other.
 */
export function audienceKey(a: AudienceIdentity): string {
  const which = a.segmentId !== null ? `segment:${a.segmentId}` : a.audienceName !== null && a.audienceName !== '' ? `name:${a.audienceName}` : `list:${a.listId}`;
  return [a.orgId, a.dataSource, which].join('\u0000');
}

/** `aud_` + 24 hex characters of SHA-256 of the audience key: deterministic, opaque, 28 characters. */
export function audienceIdOf(a: AudienceIdentity): string {
  return `aud_${createHash('sha256').update(audienceKey(a)).digest('hex').slice(0, 24)}`;
}
