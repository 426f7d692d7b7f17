import fs from 'node:fs';
import path from 'node:path';
import { failureOf, request } from './api-client';
import { CliError, ExitCode } from './exit-codes';

/** What `audx login` keeps: the client's credentials and its latest token, until it expires. */
export interface SessionFile {
  imsUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string | null;
  orgId: string;
  token: string;
  expiresAt: number;
}

/** A token is renewed this long before it expires, so that no command starts with one about to lapse. */
const RENEW_BEFORE_MS = 60_000;

function claimsOf(token: string): { org?: string; exp?: number; scope?: string } {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { org?: string; exp?: number; scope?: string };
  } catch {
    return {};
  }
}

export class Session {
  private readonly file: string;

  constructor(
    home: string,
    private readonly imsUrl: string,
  ) {
    this.file = path.join(home, 'session.json');
  }

  /** Client credentials for a token (IMS `POST /ims/token/v3`); kept, with the token, for the next commands. */
  async login(clientId: string, clientSecret: string, scope: string | null): Promise<SessionFile> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
    if (scope) form.set('scope', scope);
    const res = await request(`${this.imsUrl}/ims/token/v3`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    if (!res.ok) {
      const err = await failureOf('login refused', res);
      throw new CliError(err.message, ExitCode.auth, res.status === 400 && /scope/.test(err.message) ? 'ask only for scopes the client has (--scope), or leave --scope out for all of them' : 'check the client id and secret');
    }
    const { access_token: token } = (await res.json()) as { access_token: string };
    const claims = claimsOf(token);
    if (!claims.org) throw new CliError('this client has no org (an operator client): the audx commands act for an org', ExitCode.auth, 'log in with an integration of an org');
    const saved: SessionFile = { imsUrl: this.imsUrl, clientId, clientSecret, scope, orgId: claims.org, token, expiresAt: (claims.exp ?? 0) * 1000 };
    this.save(saved);
    return saved;
  }

  /** The headers of an authenticated call, renewing the token when it has expired. */
  async headers(): Promise<Record<string, string>> {
    let s = this.load();
    if (s.expiresAt - RENEW_BEFORE_MS <= Date.now()) s = await this.login(s.clientId, s.clientSecret, s.scope);
    return { authorization: `Bearer ${s.token}`, 'x-api-key': s.clientId, 'x-gw-ims-org-id': s.orgId };
  }

  load(): SessionFile {
    if (!fs.existsSync(this.file)) throw new CliError('not logged in', ExitCode.auth, 'run `audx login --client-id <id> --client-secret <secret>` (or set AUDX_CLIENT_ID and AUDX_CLIENT_SECRET)');
    const s = JSON.parse(fs.readFileSync(this.file, 'utf8')) as SessionFile;
    if (s.imsUrl !== this.imsUrl) throw new CliError(`logged in at ${s.imsUrl}, not at ${this.imsUrl}`, ExitCode.auth, 'run `audx login` for this IMS');
    return s;
  }

  logout(): boolean {
    if (!fs.existsSync(this.file)) return false;
    fs.rmSync(this.file);
    return true;
  }

  private save(s: SessionFile): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    // the secret is in it: written whole, readable by its owner only
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}
