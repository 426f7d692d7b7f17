import { Errors } from './domain-error';

/** Opaque cursors: base64url of a JSON tuple; a tampered cursor is a 400, never a query. */
export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, arity: number): (string | number)[] | null {
  if (!cursor) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === arity && parsed.every((v) => typeof v === 'string' || typeof v === 'number')) return parsed;
  } catch {
    /* fall through */
  }
  throw Errors.badRequest('after: invalid cursor');
}

export function parseLimit(raw: string | undefined, fallback = 100, max = 1000): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw Errors.badRequest(`limit: must be an integer between 1 and ${max}`);
  return n;
}

/** One query field: absent, or given once with 1 to `max` characters (a repeated field is a 400 naming it). */
export function queryText(name: string, value: unknown, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw Errors.badRequest(`${name}: give it once, 1 to ${max} characters`);
  return value;
}

/** One query field holding an ISO 8601 date and time, or absent. */
export function queryTime(name: string, value: unknown): Date | undefined {
  const text = queryText(name, value, 40);
  if (text === undefined) return undefined;
  const at = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(at.getTime())) throw Errors.badRequest(`${name}: an ISO 8601 date and time, such as 2026-12-07T10:00:00Z`);
  return at;
}

/**
 * A page of rows newest first by an increasing key: `read(beforeKey, n + 1)` answers rows below the
 * cursor's key (or from the top), and the page's `next` cursor carries the last row's key.
 */
export async function newestFirstPage<R, V>(
  after: unknown,
  limit: unknown,
  keyOf: (row: R) => number,
  read: (beforeKey: number | null, take: number) => Promise<R[]>,
  view: (row: R) => V,
): Promise<{ items: V[]; next: string | null }> {
  if ((after !== undefined && typeof after !== 'string') || (limit !== undefined && typeof limit !== 'string')) throw Errors.badRequest('after and limit: give each at most once');
  const n = parseLimit(limit as string | undefined);
  const cursor = decodeCursor(after as string | undefined, 1);
  if (cursor && (typeof cursor[0] !== 'number' || !Number.isInteger(cursor[0]))) throw Errors.badRequest('after: invalid cursor');
  const rows = await read(cursor ? Number(cursor[0]) : null, n + 1);
  const items = rows.slice(0, n);
  return { items: items.map(view), next: rows.length > n ? encodeCursor([keyOf(items[items.length - 1])]) : null };
}
