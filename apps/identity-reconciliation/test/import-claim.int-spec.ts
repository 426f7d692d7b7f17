import { randomUUID } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import { openSchema } from '@audx/persistence';
import { testDatabase, testEnv } from '@audx/testing';
import { ImportsRepository } from '../src/imports/imports.repository';
import { migrations } from '../src/migrations';

/**
 * How applier replicas claim ready imports, on the real database (two connections play two
 * replicas): an import another replica holds is skipped at once, never waited for, and a later
 * import of the same list waits until the earlier one is no longer ready.
 */
describe(`${ImportsRepository.name}.claim`, () => {
  const orgId = `claim-${randomUUID().slice(0, 8)}`;
  const sut = new ImportsRepository();
  const pk: Record<string, string> = {};
  let db: DataSource;
  let replica1: QueryRunner;
  let replica2: QueryRunner;

  beforeAll(async () => {
    db = await openSchema({ url: testEnv().mysqlUrl, database: testDatabase('audx_identity'), poolSize: 3, entities: [], migrations });
    // A then B on the list (defaultDataSource, 1); C on segment 2; D on segment 1 of another data source
    const imports: [string, number, string, string][] = [
      ['A', 10, 'defaultDataSource', '1'],
      ['B', 20, 'defaultDataSource', '1'],
      ['C', 30, 'defaultDataSource', '2'],
      ['D', 40, 'other', '1'],
    ];
    for (const [name, sequence, dataSource, segmentId] of imports) {
      const res = (await db.query(
        "INSERT INTO imports (org_id, import_id, sequence, data_source, mode, plan, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'iter', '{}', 'ready', NOW(3), NOW(3))",
        [orgId, name, sequence, dataSource],
      )) as { insertId: number };
      pk[name] = String(res.insertId);
      await db.query("INSERT INTO import_segments (import_pk, segment_id, labels) VALUES (?, ?, '[]')", [pk[name], segmentId]);
    }
    replica1 = db.createQueryRunner();
    replica2 = db.createQueryRunner();
    await replica2.query('SET SESSION innodb_lock_wait_timeout = 1'); // a lock wait fails the test, fast
  });

  afterAll(async () => {
    for (const replica of [replica1, replica2]) {
      if (replica?.isTransactionActive) await replica.rollbackTransaction(); // a failed test leaves its locks
      await replica?.release();
    }
    if (db) {
      await db.query('DELETE s FROM import_segments s JOIN imports i ON i.import_pk = s.import_pk WHERE i.org_id = ?', [orgId]);
      await db.query('DELETE FROM imports WHERE org_id = ?', [orgId]);
      await db.destroy();
    }
  });

  it('skips an import another replica holds, holds back a later import of its list, lets other lists go', async () => {
    await replica1.startTransaction();
    expect((await sut.claim(replica1.manager, pk.A))?.importId).toBe('A');

    await replica2.startTransaction();
    expect(await sut.claim(replica2.manager, pk.A)).toBeNull(); // held by replica 1: skipped
    expect(await sut.claim(replica2.manager, pk.B)).toBeNull(); // same list as A, accepted later: after A
    expect((await sut.claim(replica2.manager, pk.C))?.importId).toBe('C');
    expect((await sut.claim(replica2.manager, pk.D))?.importId).toBe('D');
    await replica2.rollbackTransaction();

    await replica1.query("UPDATE imports SET status = 'applied' WHERE import_pk = ?", [pk.A]);
    await replica1.commitTransaction();
    await replica2.startTransaction();
    expect(await sut.claim(replica2.manager, pk.A)).toBeNull(); // applied
    expect((await sut.claim(replica2.manager, pk.B))?.importId).toBe('B');
    await replica2.rollbackTransaction();
  });
});
