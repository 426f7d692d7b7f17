import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull, MoreThan } from 'typeorm';
import { Integration } from './integration.entity';

@Injectable()
export class IntegrationsRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(Integration);
  }

  async insert(integration: Integration): Promise<void> {
    await this.repo.insert(integration);
  }

  /** The integration unless deleted (token issuance reads this on every request). */
  findActive(clientId: string): Promise<Integration | null> {
    return this.repo.findOneBy({ clientId, deletedAt: IsNull() });
  }

  findActiveInOrg(orgId: string, clientId: string, manager?: EntityManager, lock = false): Promise<Integration | null> {
    const repo = manager ? manager.getRepository(Integration) : this.repo;
    return repo.findOne({ where: { orgId, clientId, deletedAt: IsNull() }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  }

  page(orgId: string, after: string | null, limit: number): Promise<Integration[]> {
    return this.repo.find({
      where: { orgId, deletedAt: IsNull(), ...(after ? { clientId: MoreThan(after) } : {}) },
      order: { clientId: 'ASC' },
      take: limit,
    });
  }

  async update(manager: EntityManager | null, clientId: string, changes: Partial<Integration>): Promise<void> {
    await (manager ? manager.getRepository(Integration) : this.repo).update({ clientId }, changes);
  }
}
