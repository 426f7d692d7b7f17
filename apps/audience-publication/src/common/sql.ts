/** Small helpers for raw mysql2 results (BIGINT comes back as a string, DATETIME as a Date). */
export function affectedRows(result: unknown): number {
  if (result && typeof result === 'object' && 'affectedRows' in result) return Number((result as { affectedRows: number }).affectedRows);
  return 0;
}

export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

export function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

export function jsonArray<T>(value: unknown): T[] {
  if (value === null || value === undefined || value === '') return [];
  return JSON.parse(String(value)) as T[];
}
