import { z } from 'zod';
import { isSafeFileName } from '../parsing/file-name';

export interface InfoEntry {
  name: string;
  size: number;
  md5: string;
}

const num = z.union([z.number().int().nonnegative(), z.string().regex(/^[0-9]+$/).transform(Number)]);
// AAM's transfer-control file: FileName, FileByteSize, FileLineCount, FileSequenceNumber, md5;
// FileSize / MD5Checksum are accepted as well (older partner tooling writes them)
const AamEntry = z
  .object({ FileName: z.string(), FileByteSize: num.optional(), FileSize: num.optional(), md5: z.string().optional(), MD5Checksum: z.string().optional() })
  .passthrough()
  .refine((e) => e.FileByteSize !== undefined || e.FileSize !== undefined, 'each file needs its FileByteSize')
  .refine((e) => e.md5 !== undefined || e.MD5Checksum !== undefined, 'each file needs its md5');
const PlainEntry = z.object({ name: z.string(), size: num, md5: z.string() }).passthrough();
const AamInfo = z.object({ Files: z.array(AamEntry).min(1).max(10000) });
const PlainInfo = z.object({ files: z.array(PlainEntry).min(1).max(10000) });

/** Reads a batch control file (AAM's `Files[].FileName/FileByteSize/md5`, or lowercase keys). */
export function parseInfo(text: string): { entries: InfoEntry[] } | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: 'the .info file is not valid JSON' };
  }
  const aam = AamInfo.safeParse(raw);
  const plain = PlainInfo.safeParse(raw);
  let entries: InfoEntry[];
  if (aam.success) entries = aam.data.Files.map((f) => ({ name: f.FileName, size: (f.FileByteSize ?? f.FileSize)!, md5: (f.md5 ?? f.MD5Checksum)!.toLowerCase() }));
  else if (plain.success) entries = plain.data.files.map((f) => ({ name: f.name, size: f.size, md5: f.md5.toLowerCase() }));
  else return { error: `the .info file does not list files: ${aam.error.issues[0]?.message ?? 'invalid'}` };
  const bad = entries.find((e) => !isSafeFileName(e.name) || e.name.endsWith('.info'));
  if (bad) return { error: `refused file name in .info: '${bad.name.slice(0, 100)}'` };
  if (entries.some((e) => !/^[0-9a-f]{32}$/.test(e.md5))) return { error: 'an md5 in the .info file is not 32 hex characters' };
  return { entries };
}
