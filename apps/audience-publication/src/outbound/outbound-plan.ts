import type { OutboundKind } from './outbound-naming';

/**
 * Membership intervals: an identifier row with (from_version, to_version) is a member of
 * versions from_version .. to_version - 1; OPEN_VERSION marks "still a member".
 */
export const OPEN_VERSION = 4294967295;

export type ExportMode = 'incremental' | 'full';

export function isMemberAt(fromVersion: number, toVersion: number, version: number): boolean {
  return fromVersion <= version && version < toVersion;
}

/** The oldest version kept when `current` is the latest and `keep` versions are kept. */
export function oldestKept(current: number, keep: number): number {
  return Math.max(1, current - keep + 1);
}

/** A membership row that ended before `oldestKept` serves no kept version and is pruned. */
export function isPrunable(toVersion: number, oldestKeptVersion: number): boolean {
  return toVersion <= oldestKeptVersion;
}

/** Which sets of identifiers a publication writes, in order, and how many lines that makes. */
export type Section = 'added' | 'removed' | 'current';

export interface OutboundPlan {
  kind: OutboundKind;
  sections: Section[];
  lines: number;
  /** A full share that dropped members: a `.sync` of `d_unsid` lines, written under the next stamp. */
  removals: number;
}

/** Stamps a publication of this mode takes from the file clock: a full share may write two batches. */
export function stampsFor(mode: ExportMode): number {
  return mode === 'full' ? 2 : 1;
}

/**
 * `incremental` publishes the delta against the previous version (`.sync`: `d_sid` for each
 * added identifier, then `d_unsid` for each removed one); `full` publishes every member
 * (`.overwrite`, which replaces each listed user's memberships of the data source and ignores
 * removals: each line therefore repeats the user's sids in the org's other audiences of the DPID),
 * and, because an `.overwrite` cannot remove a user it does not list, a `.sync` of `d_unsid` for
 * each member that left, so the marketing cloud ends up holding exactly the list.
 */
export function outboundPlan(mode: ExportMode, counts: { size: number; added: number; removed: number }): OutboundPlan {
  if (mode === 'full') return { kind: 'overwrite', sections: ['current'], lines: counts.size, removals: counts.removed };
  return { kind: 'sync', sections: ['added', 'removed'], lines: counts.added + counts.removed, removals: 0 };
}

/**
 * One intake line: `<userId><TAB>d_sid=<sid>` (an add) or `d_unsid=<sid>` (a removal); a line of
 * an overwrite also carries the user's other current sids of the data source (`alsoHeld`, sorted),
 * because `.overwrite` replaces every membership of the user for that DPID.
 */
export function intakeLine(identifier: string, sid: string, section: Section, alsoHeld: readonly string[] = []): string {
  if (section === 'removed') return `${identifier}\td_unsid=${sid}\n`;
  const sids = [sid, ...[...new Set(alsoHeld)].filter((s) => s !== sid).sort(byteOrder)];
  return `${identifier}\t${sids.map((s) => `d_sid=${s}`).join(',')}\n`;
}

/**
 * The reference semantics of a version's delta, for tests and for reasoning (the service computes
 * the same thing set-based in SQL): members of the new version missing from the previous one are
 * added, members of the previous one missing from the new one are removed; both sorted.
 */
export function diffMembers(previous: Iterable<string>, next: Iterable<string>): { added: string[]; removed: string[] } {
  const prev = new Set(previous);
  const nxt = new Set(next);
  const added = [...nxt].filter((id) => !prev.has(id)).sort(byteOrder);
  const removed = [...prev].filter((id) => !nxt.has(id)).sort(byteOrder);
  return { added, removed };
}

/** Binary (utf8mb4_bin) order, the order MySQL returns identifiers in. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** An identifier we can write to an intake line: 1..255 characters, no whitespace or control characters. */
export function isWritableIdentifier(id: string): boolean {
  return id.length > 0 && id.length <= 255 && !/[\s\u0000-\u001f\u007f]/.test(id);
}
