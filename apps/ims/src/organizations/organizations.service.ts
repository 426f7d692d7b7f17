import { Inject, Injectable } from '@nestjs/common';
import { Errors, decodeCursor, encodeCursor, parseLimit } from '@audx/platform';
import { ORG_ID_PATTERN, newOrgId } from '../common/ids';
import { Organization } from './organization.entity';
import { OrganizationPage, OrganizationView } from './organizations.dto';
import { OrganizationsRepository } from './organizations.repository';

@Injectable()
export class OrganizationsService {
  constructor(@Inject(OrganizationsRepository) private readonly orgs: OrganizationsRepository) {}

  async create(name: string): Promise<OrganizationView> {
    const org = Object.assign(new Organization(), { orgId: newOrgId(), name, createdAt: new Date() });
    await this.orgs.insert(org);
    return view(org);
  }

  async get(orgId: string): Promise<OrganizationView> {
    return view(await this.require(orgId));
  }

  /** The organization, or 404 (a malformed id is simply one that does not exist). */
  async require(orgId: string): Promise<Organization> {
    const org = ORG_ID_PATTERN.test(orgId) ? await this.orgs.findById(orgId) : null;
    if (!org) throw Errors.notFound('organization');
    return org;
  }

  async list(after: string | undefined, limit: string | undefined): Promise<OrganizationPage> {
    const take = parseLimit(limit, 100, 1000);
    const cursor = decodeCursor(after, 1);
    const rows = await this.orgs.page(cursor ? String(cursor[0]) : null, take);
    return { items: rows.map(view), next: rows.length === take ? encodeCursor([rows[rows.length - 1].orgId]) : null };
  }
}

function view(org: Organization): OrganizationView {
  return { orgId: org.orgId, name: org.name, createdAt: org.createdAt.toISOString() };
}
