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

/**
 * The segment id written in `d_sid=`/`d_unsid=` tokens: the segment's own id, or for an audience
 * shared by name a stable numeric id derived from the audience id (48 bits, at most 15 digits).
 */
export function segmentSidOf(audienceId: string, segmentId: string | null): string {
  if (segmentId !== null) return segmentId;
  const hex = createHash('sha256').update(audienceId).digest('hex').slice(0, 12);
  return BigInt(`0x${hex}`).toString(10);
}

export function audienceDisplayName(a: AudienceIdentity): string {
  if (a.audienceName) return a.audienceName;
  if (a.segmentId !== null) return `segment ${a.segmentId}`;
  return `list ${a.listId}`;
}
