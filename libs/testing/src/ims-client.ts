/** Drives IMS over HTTP the way a client would: tokens, orgs, integrations, request headers. */
export const DEV_ADMIN = { clientId: 'audx-ims-admin', clientSecret: 'audx-ims-dev-only-admin-secret' };
export const ALL_ORG_SCOPES = ['config.write', 'profiles.write', 'segments.import', 'lists.write', 'read'];

export interface Tenant {
  orgId: string;
  clientId: string;
  clientSecret: string;
  token: string;
  /** Authorization, x-api-key and x-gw-ims-org-id for this tenant. */
  headers: Record<string, string>;
}

export class ImsClient {
  private adminToken: string | null = null;

  constructor(
    readonly url: string,
    private readonly admin = DEV_ADMIN,
  ) {}

  async token(clientId: string, clientSecret: string, scopes: string[]): Promise<string> {
    const res = await fetch(`${this.url}/ims/token/v3`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: scopes.join(',') }),
    });
    if (res.status !== 200) throw new Error(`token for ${clientId}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  async adminHeaders(): Promise<Record<string, string>> {
    this.adminToken ??= await this.token(this.admin.clientId, this.admin.clientSecret, ['ims.admin']);
    return { authorization: `Bearer ${this.adminToken}`, 'x-api-key': this.admin.clientId, 'content-type': 'application/json' };
  }

  async createOrg(name: string): Promise<string> {
    const res = await fetch(`${this.url}/ims/organizations`, { method: 'POST', headers: await this.adminHeaders(), body: JSON.stringify({ name }) });
    if (res.status !== 201 && res.status !== 200) throw new Error(`create org: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { orgId: string }).orgId;
  }

  async createIntegration(orgId: string, name: string, scopes: string[]): Promise<{ clientId: string; clientSecret: string }> {
    const res = await fetch(`${this.url}/ims/organizations/${encodeURIComponent(orgId)}/integrations`, {
      method: 'POST',
      headers: await this.adminHeaders(),
      body: JSON.stringify({ name, scopes }),
    });
    if (res.status !== 201 && res.status !== 200) throw new Error(`create integration: ${res.status} ${await res.text()}`);
    return (await res.json()) as { clientId: string; clientSecret: string };
  }

  /** A new org with one integration holding `scopes`, and a token for it. */
  async tenant(name: string, scopes: string[] = ALL_ORG_SCOPES): Promise<Tenant> {
    const orgId = await this.createOrg(name);
    const { clientId, clientSecret } = await this.createIntegration(orgId, `${name} integration`, scopes);
    const token = await this.token(clientId, clientSecret, scopes);
    return { orgId, clientId, clientSecret, token, headers: { authorization: `Bearer ${token}`, 'x-api-key': clientId, 'x-gw-ims-org-id': orgId } };
  }
}
