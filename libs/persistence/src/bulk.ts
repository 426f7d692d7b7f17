import type { EntityManager } from 'typeorm';

/**
 * Multi-row INSERT in statements of `rowsPerStatement` rows (the fast path measured in stack.md);
 * `suffix` may add `ON DUPLICATE KEY UPDATE ...`. Column names are code, never user input.
 */
export async function bulkInsert(
  manager: EntityManager,
  table: string,
  columns: readonly string[],
  rows: readonly unknown[][],
  options: { ignore?: boolean; suffix?: string; rowsPerStatement?: number } = {},
): Promise<number> {
  const per = options.rowsPerStatement ?? 1000;
  const tuple = `(${columns.map(() => '?').join(',')})`;
  let affected = 0;
  for (let i = 0; i < rows.length; i += per) {
    const slice = rows.slice(i, i + per);
    const sql = `INSERT ${options.ignore ? 'IGNORE ' : ''}INTO ${table} (${columns.join(',')}) VALUES ${slice.map(() => tuple).join(',')}${options.suffix ? ` ${options.suffix}` : ''}`;
    const result = await manager.query(sql, slice.flat());
    affected += Number((result as { affectedRows?: number }).affectedRows ?? 0);
  }
  return affected;
}
