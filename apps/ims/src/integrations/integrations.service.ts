import { Inject, Injectable } from '@nestjs/common';
import { parseScopeList, formatScopes } from '@audx/auth';
import { APP_CONFIG, Errors, ServiceRuntime, decodeCursor, encodeCursor, parseLimit } from '@audx/platform';
import { newClientId, newClientSecret, newTechnicalAccountId } from '../common/ids';
import type { ImsConfig } from '../config';
import { OrganizationsService } from '../organizations/organizations.service';
import { RevocationsService, revocationExpiry } from '../revocations/revocations.service';
import { Integration } from './integration.entity';
import { CreatedIntegrationView, IntegrationPage, IntegrationView, RotatedSecretView } from './integrations.dto';
import { IntegrationsRepository } from './integrations.repository';
import { SecretHasher } from './secret-hasher';


@Injectable()
export class IntegrationsService {
  constructor(
    @Inject(IntegrationsRepository) private readonly integrations: IntegrationsRepository,
    @Inject(OrganizationsService) private readonly organizations: OrganizationsService,
    @Inject(SecretHasher) private readonly hasher: SecretHasher,
    @Inject(RevocationsService) private readonly revocations: RevocationsService,
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(APP_CONFIG) private readonly config: ImsConfig,
  ) {}

  async create(orgId: string, name: string, scopes: string[]): Promise<CreatedIntegrationView> {
    await this.organizations.require(orgId);
    const clientSecret = newClientSecret();
    const integration = Object.assign(new Integration(), {
      clientId: newClientId(),
      orgId,
      name,
      technicalAccountId: newTechnicalAccountId(),
      scopes: formatScopes(scopes),
      secretHash: await this.hasher.hash(clientSecret),
      previousSecretHash: null,
      previousSecretExpiresAt: null,
      createdAt: new Date(),
      deletedAt: null,
    });
    await this.integrations.insert(integration);
    return { ...view(integration), clientSecret };
  }

  async list(orgId: string, after: string | undefined, limit: string | undefined): Promise<IntegrationPage> {
    await this.organizations.require(orgId);
    const take = parseLimit(limit, 100, 1000);
    const cursor = decodeCursor(after, 1);
    const rows = await this.integrations.page(orgId, cursor ? String(cursor[0]) : null, take);
    return { items: rows.map(view), next: rows.length === take ? encodeCursor([rows[rows.length - 1].clientId]) : null };
  }

  /** A new secret; the previous one keeps working `graceSeconds` (0: stops at once). */
  async rotateSecret(orgId: string, clientId: string, graceSeconds: number): Promise<RotatedSecretView> {
    const clientSecret = newClientSecret();
    const secretHash = await this.hasher.hash(clientSecret);
    const previousSecretExpiresAt = graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000) : null;
    await this.runtime.transaction(async (manager) => {
      const current = await this.integrations.findActiveInOrg(orgId, clientId, manager, true);
      if (!current) throw Errors.notFound('integration');
      await this.integrations.update(manager, clientId, {
        secretHash,
        previousSecretHash: previousSecretExpiresAt ? current.secretHash : null,
        previousSecretExpiresAt,
      });
    });
    return { clientId, clientSecret, previousSecretExpiresAt: previousSecretExpiresAt?.toISOString() ?? null };
  }

  /**
   * Deletes the integration and revokes every token it holds: a `client:<clientId>` revocation,
   * published on ims.token.revoked in the same transaction, that guards apply to every token of
   * that client until the longest-lived one has expired.
   */
  async delete(orgId: string, clientId: string): Promise<void> {
    const exp = revocationExpiry(Math.floor(Date.now() / 1000), this.config.IMS_TOKEN_TTL_SECONDS);
    const revoked = await this.runtime.transaction(async (manager, outbox) => {
      const current = await this.integrations.findActiveInOrg(orgId, clientId, manager, true);
      if (!current) throw Errors.notFound('integration');
      await this.integrations.update(manager, clientId, { deletedAt: new Date(), secretHash: null, previousSecretHash: null, previousSecretExpiresAt: null });
      return this.revocations.record(manager, outbox, { kind: 'client', clientId, orgId, exp });
    });
    this.revocations.remember(revoked);
  }
}

function view(i: Integration): IntegrationView {
  return {
    clientId: i.clientId,
    technicalAccountId: i.technicalAccountId,
    scopes: parseScopeList(i.scopes),
    name: i.name,
    orgId: i.orgId,
    createdAt: i.createdAt.toISOString(),
  };
}
