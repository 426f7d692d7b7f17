import type { MemberLine } from '../parsing/formats';

const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/;

/** The bytes a member adds to a chunk's JSON (its object and a comma), counted from above. */
export function memberBytes(m: MemberLine): number {
  // {"userId":<id>,"add":[..],"remove":[..]} plus a comma; segment ids are digits, never escaped;
  // a user id is escaped only for a quote or a backslash (control characters are refused earlier)
  let n = 33 + (NEEDS_ESCAPE.test(m.userId) ? Buffer.byteLength(JSON.stringify(m.userId)) : Buffer.byteLength(m.userId) + 2);
  for (const s of m.add) n += s.length + 3;
  for (const s of m.remove) n += s.length + 3;
  return n;
}

/**
 * Cuts members, in order, into groups whose JSON stays within `budget` bytes (a member larger than
 * the budget, at most one 100 KB line, goes alone). `tailBytes` is what the last group carries on
 * top (the import's segment list and totals): when it does not fit beside the members, the last
 * group is an empty one of its own. Always at least one group.
 */
export function cutChunks(members: readonly MemberLine[], budget: number, tailBytes = 0): MemberLine[][] {
  const groups: MemberLine[][] = [];
  let current: MemberLine[] = [];
  let bytes = 0;
  for (const m of members) {
    const size = memberBytes(m);
    if (current.length > 0 && bytes + size > budget) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0 && bytes + tailBytes > budget) {
    groups.push(current);
    current = [];
  }
  groups.push(current);
  return groups;
}
