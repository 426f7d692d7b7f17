import type { DataSource, EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { SigningKey } from './signing-key.entity';

export class SigningKeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  findAll(): Promise<SigningKey[]> {
    return this.dataSource.getRepository(SigningKey).find({ order: { activeFrom: 'ASC', kid: 'ASC' } });
  }

  /**
   * Runs `work` while holding the row lock that serialises key changes across replicas
   * (first key, rotation, pruning), and passes it the keys as they are under that lock.
   */
  withKeyLock<T>(work: (keys: SigningKey[], manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query("SELECT name FROM ims_locks WHERE name = 'signing_keys' FOR UPDATE");
      const keys = await manager.getRepository(SigningKey).find({ order: { activeFrom: 'ASC', kid: 'ASC' } });
      return work(keys, manager);
    });
  }

  async insert(manager: EntityManager, key: SigningKey): Promise<void> {
    await manager.getRepository(SigningKey).insert(key);
  }

  async delete(manager: EntityManager, kids: string[]): Promise<void> {
    if (kids.length > 0) await manager.getRepository(SigningKey).delete({ kid: In(kids) });
  }
}
