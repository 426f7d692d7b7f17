import type { ImportFormat } from './formats';

export interface FileNameFacts {
  format: ImportFormat;
  mode: 'iter' | 'full';
  dpid: number;
  gzip: boolean;
  /** One part of a split batch: never imported without its `.info`. */
  split: boolean;
}

// <type>_<destinationId>_<dpid>[_<alias>]_<iter|full>_<13-digit ms><split>.sync[.gz]
const OUTBOUND = /^[A-Za-z0-9]+_([0-9]+)_([0-9]+)(?:_[A-Za-z0-9-]+)?_(iter|full)_([0-9]{13})([-_.]?[0-9]{1,6})?\.sync(\.gz)?$/;
// ftp_dpm_<DPID>_<10-digit unix seconds>(.sync|.overwrite)[.<split>][.gz]
const INBOUND = /^ftp_dpm_([0-9]+)_([0-9]{10})\.(sync|overwrite)(\.[0-9]{1,6})?(\.gz)?$/;

/** Facts an AAM file name carries, or null when it is not an AAM name. */
export function parseAamFileName(name: string): FileNameFacts | null {
  let m = OUTBOUND.exec(name);
  if (m) return { format: 'aam-outbound', mode: m[3] as 'iter' | 'full', dpid: Number(m[2]), gzip: Boolean(m[6]), split: Boolean(m[5]) };
  m = INBOUND.exec(name);
  if (m) return { format: 'aam-inbound', mode: m[3] === 'overwrite' ? 'full' : 'iter', dpid: Number(m[1]), gzip: Boolean(m[5]), split: Boolean(m[4]) };
  return null;
}

/** A plain file name: no folders, no traversal, no control characters. */
export function isSafeFileName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(name) && !name.includes('..');
}
