import type { EntityManager } from 'typeorm';

/** affectedRows of an INSERT/UPDATE/DELETE answered by mysql2 through TypeORM. */
export function affected(result: unknown): number {
  if (Array.isArray(result)) return affected(result[1] ?? result[0]);
  if (result && typeof result === 'object' && 'affectedRows' in result) return Number((result as { affectedRows: number }).affectedRows);
  return 0;
}

/** `?,?,?` for n values. */
export function placeholders(n: number): string {
  return new Array(n).fill('?').join(',');
}

export async function rows<T>(manager: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await manager.query(sql, params)) as T[];
}

export function toJsonArray(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw !== 'string' || raw === '') return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

export function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

/**
 * Counts a failed attempt at a work row (a column `attempts`) and gives it up, `reason` in
 * `reasonColumn`, at `maxAttempts` or at once when `final`; answers whether it is given up now.
 * Table and column names come from code, never from input.
 */
export async function countFailedAttempt(
  manager: EntityManager,
  row: { table: string; key: string; id: string; reasonColumn: string; reasonMax: number },
  reason: string,
  limits: { maxAttempts: number; final?: boolean },
): Promise<boolean> {
  // the reason first: MySQL's assignments see the columns set before them in the statement
  await manager.query(`UPDATE ${row.table} SET ${row.reasonColumn} = IF(? OR attempts + 1 >= ?, ?, NULL), attempts = attempts + 1 WHERE ${row.key} = ?`, [
    limits.final ? 1 : 0,
    limits.maxAttempts,
    reason.slice(0, row.reasonMax),
    row.id,
  ]);
  const [found] = await rows<{ given_up: number }>(manager, `SELECT ${row.reasonColumn} IS NOT NULL AS given_up FROM ${row.table} WHERE ${row.key} = ?`, [row.id]);
  return Number(found?.given_up ?? 0) === 1;
}
