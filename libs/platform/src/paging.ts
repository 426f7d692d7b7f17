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
