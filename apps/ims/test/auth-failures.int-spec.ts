import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openSchema } from '@audx/persistence';
import { testDatabase, testEnv } from '@audx/testing';
import { entities } from '../src/entities';
import { migrations } from '../src/migrations';
import { AuthFailuresRepository } from '../src/tokens/auth-failures.repository';
import { FailedAuthLimiter } from '../src/tokens/failure-limiter';

/**
 * The brute-force brake on the real database, two connection pools playing two IMS replicas:
 * what one counts the other sees, a flood of other addresses cannot make it forget a count, and
 * the table keeps about one window of failures.
 */
describe('the brute-force brake, shared in MySQL', () => {
  const limits = { windowSeconds: 60, perClient: 3, perAddress: 5 };
  let db1: DataSource;
  let db2: DataSource;
  let replica1: FailedAuthLimiter;
  let replica2: FailedAuthLimiter;

  beforeAll(async () => {
    const open = () => openSchema({ url: testEnv().mysqlUrl, database: testDatabase('audx_ims'), poolSize: 2, entities, migrations });
    db1 = await open();
    db2 = await open();
    replica1 = new FailedAuthLimiter(limits, new AuthFailuresRepository(db1));
    replica2 = new FailedAuthLimiter(limits, new AuthFailuresRepository(db2));
  });

  afterAll(async () => {
    await db1?.destroy();
    await db2?.destroy();
  });

  it('counts the failures of every replica: a client guessed on one is braked on the other', async () => {
    const client = `c-${randomUUID()}`;
    const now = Date.now();
    for (const [i, replica] of [replica1, replica2, replica1].entries()) await replica.recordFailure(client, '192.0.2.1', now + i);
    expect(await replica2.blockedFor(client, '192.0.2.1', now + 10)).toBe(60);
    expect(await replica1.blockedFor(client, '192.0.2.77', now + 10)).toBe(0); // an address that never failed it
  });

  it('keeps a count however many other addresses fail meanwhile (nothing to evict)', async () => {
    const client = `c-${randomUUID()}`;
    const now = Date.now();
    for (let i = 0; i < 3; i++) await replica1.recordFailure(client, '192.0.2.2', now + i);
    // 150,000 failures of other addresses in the same window: the old in-memory brake kept 100,000 keys
    const rows = Array.from({ length: 150_000 }, (_, i) => [2, Buffer.from(randomUUID().replace(/-/g, '').padEnd(64, '0'), 'hex'), now + 5 + (i % 1000)]);
    for (let i = 0; i < rows.length; i += 10_000) {
      const slice = rows.slice(i, i + 10_000);
      await db1.query(`INSERT INTO auth_failures (kind, key_hash, failed_at_ms) VALUES ${slice.map(() => '(?, ?, ?)').join(',')}`, slice.flat());
    }
    expect(await replica2.blockedFor(client, '192.0.2.2', now + 2000)).toBe(58);
    await db1.query('DELETE FROM auth_failures WHERE kind = 2 AND failed_at_ms BETWEEN ? AND ?', [now + 5, now + 1005]);
  });

  it('forgets failures past the window as new ones are recorded', async () => {
    const old = Date.now() - 3600_000;
    await db1.query(`INSERT INTO auth_failures (kind, key_hash, failed_at_ms) VALUES ${Array.from({ length: 50 }, () => '(2, UNHEX(SHA2(UUID(), 256)), ?)').join(',')}`, Array(50).fill(old));
    await replica1.recordFailure(`c-${randomUUID()}`, '192.0.2.3');
    const [left] = await db1.query('SELECT COUNT(*) AS n FROM auth_failures WHERE failed_at_ms = ?', [old]);
    expect(Number(left.n)).toBe(0);
  });
});
