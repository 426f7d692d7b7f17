import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FailureKind, FailureStore } from './failure-limiter';

/** Rows past the window deleted with each failure recorded: the table holds about one window of failures. */
const FORGET_PER_FAILURE = 100;

/** Failed client authentications, shared by every IMS replica. SQL only. */
@Injectable()
export class AuthFailuresRepository implements FailureStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async nthMostRecent(kind: FailureKind, key: string, n: number, sinceMs: number): Promise<number | null> {
    const rows: { failed_at_ms: string }[] = await this.dataSource.query(
      'SELECT failed_at_ms FROM auth_failures WHERE kind = ? AND key_hash = ? AND failed_at_ms > ? ORDER BY failed_at_ms DESC LIMIT 1 OFFSET ?',
      [kind, keyHash(key), sinceMs, n - 1],
    );
    return rows.length ? Number(rows[0].failed_at_ms) : null;
  }

  async record(failures: { kind: FailureKind; key: string }[], nowMs: number, forgetBeforeMs: number): Promise<void> {
    await this.dataSource.query(`INSERT INTO auth_failures (kind, key_hash, failed_at_ms) VALUES ${failures.map(() => '(?, ?, ?)').join(', ')}`, failures.flatMap((f) => [f.kind, keyHash(f.key), nowMs]));
    await this.dataSource.query('DELETE FROM auth_failures WHERE failed_at_ms <= ? ORDER BY failed_at_ms LIMIT ?', [forgetBeforeMs, FORGET_PER_FAILURE]);
  }
}

function keyHash(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
