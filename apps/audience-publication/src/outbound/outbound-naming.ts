/** `.sync` carries a delta (adds and removals); `.overwrite` replaces what the marketing cloud holds. */
export type OutboundKind = 'sync' | 'overwrite';

export interface OutboundNaming {
  dpid: number;
  /** Unix seconds, unique per (org, DPID): see the file clock. */
  stamp: number;
  kind: OutboundKind;
  gzip: boolean;
}

const STAMP_DIGITS = 10;

/** `ftp_dpm_<DPID>_<10-digit unix seconds>`: the root every file of one publication shares. */
export function rootName(dpid: number, stamp: number): string {
  if (!Number.isSafeInteger(dpid) || dpid <= 0) throw new Error(`invalid DPID ${dpid}`);
  if (!Number.isSafeInteger(stamp) || stamp < 0 || String(stamp).length > STAMP_DIGITS) throw new Error(`invalid stamp ${stamp}`);
  return `ftp_dpm_${dpid}_${String(stamp).padStart(STAMP_DIGITS, '0')}`;
}

/**
 * Names of the data files of a publication of `lines` lines, in order: none for an empty one
 * (the marketing cloud refuses empty files), `<root>.<kind>[.gz]` when one file holds it all,
 * else `<root>.<kind>.<n>[.gz]` for n = 1..N with at most `maxLines` lines each.
 */
export function dataFileNames(naming: OutboundNaming, lines: number, maxLines: number): string[] {
  if (!Number.isInteger(maxLines) || maxLines < 1) throw new Error(`invalid maxLines ${maxLines}`);
  if (!Number.isInteger(lines) || lines < 0) throw new Error(`invalid line count ${lines}`);
  const base = `${rootName(naming.dpid, naming.stamp)}.${naming.kind}`;
  const gz = naming.gzip ? '.gz' : '';
  const count = Math.ceil(lines / maxLines);
  if (count === 0) return [];
  if (count === 1) return [`${base}${gz}`];
  return Array.from({ length: count }, (_, i) => `${base}.${i + 1}${gz}`);
}

/** The control file of a publication: `<root>.info`, as the marketing cloud names its own. */
export function infoFileName(dpid: number, stamp: number): string {
  return `${rootName(dpid, stamp)}.info`;
}

/** The next stamp of a DPID's clock: now, or one second past the last one if that is not later. */
export function nextStamp(lastStamp: number | null, nowMs: number): number {
  const now = Math.floor(nowMs / 1000);
  return lastStamp === null ? now : Math.max(now, lastStamp + 1);
}
