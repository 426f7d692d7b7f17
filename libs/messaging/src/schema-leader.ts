import { createHash } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';

/**
 * One worker per schema among a service's replicas, through a MySQL named lock held by a dedicated
 * connection: a session lock, not a row lock, so holding it blocks no business write. The lock
 * goes with the connection, so a replica that dies hands over at once.
 */
export class SchemaLeader {
  private readonly lockName: string;
  private runner: QueryRunner | null = null;

  constructor(
    private readonly dataSource: DataSource,
    role: string,
  ) {
    // named locks are server-wide: one name per schema and role, at most 64 characters
    const schema = String(dataSource.options.database ?? 'default');
    this.lockName = `audx_${role.slice(0, 20)}_${createHash('sha1').update(`${schema}/${role}`).digest('hex').slice(0, 24)}`;
  }

  /** The connection that holds the lock, or null while another replica holds it. */
  async acquire(): Promise<QueryRunner | null> {
    if (this.runner) {
      try {
        const [r] = await this.runner.query('SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS mine', [this.lockName]);
        if (Number(r.mine) === 1) return this.runner;
      } catch {
        /* the connection died, and the lock with it */
      }
      await this.runner.release().catch(() => undefined);
      this.runner = null;
    }
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      const [r] = await runner.query('SELECT GET_LOCK(?, 0) AS got', [this.lockName]);
      if (Number(r.got) === 1) {
        this.runner = runner;
        return runner;
      }
    } catch (err) {
      await runner.release().catch(() => undefined);
      throw err;
    }
    await runner.release();
    return null;
  }

  async release(): Promise<void> {
    const runner = this.runner;
    this.runner = null;
    if (!runner) return;
    await runner.query('SELECT RELEASE_LOCK(?)', [this.lockName]).catch(() => undefined);
    await runner.release().catch(() => undefined);
  }
}
