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
