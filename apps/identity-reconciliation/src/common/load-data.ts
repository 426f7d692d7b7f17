import { Readable } from 'node:stream';
import type { EntityManager } from 'typeorm';
import { bulkInsert } from '@audx/persistence';

type Cell = string | number | Buffer | null;

interface RawConnection {
  query(options: { sql: string; infileStreamFactory: () => Readable }, callback: (err: Error | null, result?: { affectedRows?: number }) => void): void;
}

/** One value in LOAD DATA's default text format: `\N` for NULL, backslash escapes, Buffers as hex. */
function cell(v: Cell): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return v.replace(/[\\\t\n\r\0]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\0'));
}

/**
 * `LOAD DATA LOCAL INFILE ... IGNORE` of rows into `table`, on the caller's transaction connection
 * (the fastest way into InnoDB measured on these machines; the stream emits Buffers). Buffer cells
 * travel as hex: name their column in `hexColumns` and it is UNHEXed on the way in. Table and
 * column names are code, never input. Answers the rows inserted.
 */
export async function loadDataIgnore(manager: EntityManager, table: string, columns: readonly string[], rows: readonly Cell[][], hexColumns: readonly string[] = []): Promise<number> {
  if (rows.length === 0) return 0;
  if (!localInfileAvailable) return bulkInsert(manager, table, columns, rows as unknown[][], { ignore: true });
  try {
    return await loadData(manager, table, columns, rows, hexColumns);
  } catch (err) {
    // the server refuses LOCAL INFILE (MySQL 8 ships with local_infile=OFF): same rows, multi-row INSERT
    const errno = (err as { errno?: number }).errno;
    if (errno !== 3948 && errno !== 1148 && errno !== 2068) throw err;
    localInfileAvailable = false;
    return bulkInsert(manager, table, columns, rows as unknown[][], { ignore: true });
  }
}

let localInfileAvailable = true;

async function loadData(manager: EntityManager, table: string, columns: readonly string[], rows: readonly Cell[][], hexColumns: readonly string[]): Promise<number> {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('loadDataIgnore needs a transaction (a query runner)');
  const conn = (await runner.connect()) as RawConnection;
  const targets = columns.map((c) => (hexColumns.includes(c) ? `@${c}` : c));
  const sets = hexColumns.map((c) => `${c} = UNHEX(@${c})`);
  const sql =
    `LOAD DATA LOCAL INFILE 'rows' IGNORE INTO TABLE ${table} CHARACTER SET utf8mb4 ` +
    "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' " +
    `(${targets.join(',')})${sets.length ? ` SET ${sets.join(', ')}` : ''}`;
  let i = 0;
  const stream = new Readable({
    read() {
      if (i >= rows.length) {
        this.push(null);
        return;
      }
      const lines: string[] = [];
      for (let k = 0; k < 5000 && i < rows.length; k++, i++) lines.push(rows[i].map(cell).join('\t'));
      this.push(Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
    },
  });
  return new Promise((resolve, reject) =>
    conn.query({ sql, infileStreamFactory: () => stream }, (err, result) => (err ? reject(err) : resolve(Number(result?.affectedRows ?? 0)))),
  );
}
