export const IMPORT_FORMATS = ['aam-outbound', 'aam-inbound', 'ndjson'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface MemberLine {
  userId: string;
  add: string[];
  remove: string[];
}

/** `invalidId`: the line is well formed but its identifier cannot be one (counted as an invalid id, not a format error). */
export type ParsedLine = MemberLine | { error: string; invalidId?: true };

const SEGMENT_ID = /^[0-9]{1,19}$/;
const BAD_USER_ID = /[\u0000-\u0020\u007f]/;

function checkUserId(userId: string): { error: string; invalidId?: true } | null {
  if (userId === '') return { error: 'empty user id', invalidId: true };
  if (userId.length > 512) return { error: 'user id longer than 512 characters' };
  if (BAD_USER_ID.test(userId)) return { error: 'user id contains whitespace or control characters' };
  return null;
}

function segmentList(raw: string, what: string): string[] | { error: string } {
  if (raw === '') return [];
  const ids = raw.split(',');
  for (const id of ids) if (!SEGMENT_ID.test(id)) return { error: `${what}: '${id.slice(0, 40)}' is not a numeric segment id` };
  return ids;
}

/** `<userId> <segIds> <removedSegIds>`, single spaces, comma-separated ids, either list may be empty. */
export function parseOutboundLine(text: string): ParsedLine {
  const parts = text.split(' ');
  if (parts.length > 3) return { error: 'expected <userId> <segIds> <removedSegIds> separated by single spaces' };
  const [userId, adds = '', removes = ''] = parts;
  const bad = checkUserId(userId);
  if (bad) return bad;
  const add = segmentList(adds, 'segIds');
  if ('error' in add) return add;
  const remove = segmentList(removes, 'removedSegIds');
  if ('error' in remove) return remove;
  return { userId, add, remove };
}

/** `<userId>\t<token>,...` with `d_sid=<id>` adding and `d_unsid=<id>`, `<id>:0`, `<id>:-1` removing. */
export function parseInboundLine(text: string): ParsedLine {
  const tab = text.indexOf('\t');
  if (tab === -1) return { error: 'expected <userId><TAB><tokens>' };
  const userId = text.slice(0, tab).trim();
  const bad = checkUserId(userId);
  if (bad) return bad;
  const add: string[] = [];
  const remove: string[] = [];
  for (const raw of text.slice(tab + 1).split(',')) {
    const token = raw.trim();
    if (token === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^d_sid=([0-9]{1,19})$/.exec(token))) add.push(m[1]);
    else if ((m = /^d_unsid=([0-9]{1,19})$/.exec(token))) remove.push(m[1]);
    else if ((m = /^([0-9]{1,19}):(0|-1)$/.exec(token))) remove.push(m[1]);
    else if ((m = /^([0-9]{1,19})(?::1)?$/.exec(token))) add.push(m[1]);
    else return { error: `unknown token '${token.slice(0, 40)}'` };
  }
  return { userId, add, remove };
}

/** `{"userId","add":["24"],"remove":["25"]}` */
export function parseNdjsonLine(text: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'expected a JSON object' };
  const o = value as Record<string, unknown>;
  const unknownField = Object.keys(o).find((k) => k !== 'userId' && k !== 'add' && k !== 'remove');
  if (unknownField) return { error: `unknown field '${unknownField.slice(0, 40)}'` };
  if (typeof o.userId !== 'string') return { error: 'userId: expected a string' };
  const bad = checkUserId(o.userId.trim() === '' ? '' : o.userId);
  if (bad) return bad;
  const lists: Record<'add' | 'remove', string[]> = { add: [], remove: [] };
  for (const key of ['add', 'remove'] as const) {
    const v = o[key] ?? [];
    if (!Array.isArray(v)) return { error: `${key}: expected an array of segment ids` };
    for (const id of v) {
      const s = typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? String(id) : id;
      if (typeof s !== 'string' || !SEGMENT_ID.test(s)) return { error: `${key}: '${String(id).slice(0, 40)}' is not a numeric segment id` };
      lists[key].push(s);
    }
  }
  return { userId: o.userId, add: lists.add, remove: lists.remove };
}

export const PARSERS: Record<ImportFormat, (text: string) => ParsedLine> = {
  'aam-outbound': parseOutboundLine,
  'aam-inbound': parseInboundLine,
  ndjson: parseNdjsonLine,
};

/** The inverse of the parsers, for round-trip tests and the demo's sample files. */
export function formatLine(format: ImportFormat, m: MemberLine): string {
  switch (format) {
    case 'aam-outbound':
      return `${m.userId} ${m.add.join(',')} ${m.remove.join(',')}`;
    case 'aam-inbound':
      return `${m.userId}\t${[...m.add.map((s) => `d_sid=${s}`), ...m.remove.map((s) => `d_unsid=${s}`)].join(',')}`;
    case 'ndjson':
      return JSON.stringify({ userId: m.userId, add: m.add, remove: m.remove });
  }
}
