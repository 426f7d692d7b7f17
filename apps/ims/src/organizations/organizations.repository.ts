import { Inject, Injectable } from '@nestjs/common';
import { DataSource, MoreThan } from 'typeorm';
import { Organization } from './organization.entity';

@Injectable()
export class OrganizationsRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(Organization);
  }

  async insert(org: Organization): Promise<void> {
    await this.repo.insert(org);
  }

  findById(orgId: string): Promise<Organization | null> {
    return this.repo.findOneBy({ orgId });
  }

  /** Ordered by org id; `after` is the last org id of the previous page. */
  page(after: string | null, limit: number): Promise<Organization[]> {
    return this.repo.find({ where: after ? { orgId: MoreThan(after) } : {}, order: { orgId: 'ASC' }, take: limit });
  }
}
