/** A small IMS client for tests and the benchmark: admin calls, integrations, tokens. */
export const ADMIN_ID = 'audx-ims-admin';
export const ADMIN_SECRET = 'audx-ims-dev-only-admin-secret';

export interface Integration {
  clientId: string;
  clientSecret: string;
  technicalAccountId: string;
  scopes: string[];
  orgId: string;
}

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function http<T = Record<string, unknown>>(url: string, init: RequestInit = {}): Promise<HttpResult<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

export function form(fields: Record<string, string>): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() };
}

export class ImsClient {
  private adminToken: string | null = null;

  constructor(readonly baseUrl: string) {}

  async token(clientId: string, clientSecret: string, scope?: string): Promise<HttpResult> {
    return http(`${this.baseUrl}/ims/token/v3`, form({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, ...(scope ? { scope } : {}) }));
  }

  async accessToken(clientId: string, clientSecret: string, scope?: string): Promise<string> {
    const r = await this.token(clientId, clientSecret, scope);
    if (r.status !== 200) throw new Error(`token for ${clientId}: ${r.status} ${JSON.stringify(r.body)}`);
    return String(r.body.access_token);
  }

  async admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
    this.adminToken ??= await this.accessToken(ADMIN_ID, ADMIN_SECRET);
    return http<T>(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.adminToken}`, 'x-api-key': ADMIN_ID, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async createOrg(name = 'org'): Promise<string> {
    const r = await this.admin<{ orgId: string }>('POST', '/ims/organizations', { name });
    if (r.status !== 201) throw new Error(`create org: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.orgId;
  }

  async createIntegration(orgId: string, scopes: string[], name = 'integration'): Promise<Integration> {
    const r = await this.admin<Integration>('POST', `/ims/organizations/${orgId}/integrations`, { name, scopes });
    if (r.status !== 201) throw new Error(`create integration: ${r.status} ${JSON.stringify(r.body)}`);
    return { ...r.body, orgId };
  }
}

/** The headers every protected call carries. */
export function apiHeaders(token: string, clientId: string, orgId?: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'x-api-key': clientId, ...(orgId ? { 'x-gw-ims-org-id': orgId } : {}) };
}

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
}
