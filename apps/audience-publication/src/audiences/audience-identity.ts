import { createHash } from 'node:crypto';
import type { AudienceIdentity } from '@audx/contracts';

export { type AudienceIdentity, audienceIdOf, audienceKey } from '@audx/contracts';

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
