import { OAuthError } from './oauth-error';
import { OAuthForm } from './oauth-form';
import { clientCredentials, resolveScopes } from './tokens.service';

function form(fields: Record<string, string>): OAuthForm {
  const f = new OAuthForm();
  for (const [k, v] of Object.entries(fields)) f.add(k, v);
  return f;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof OAuthError) return `${err.status} ${err.code}`;
    throw err;
  }
  return 'ok';
}

describe('resolveScopes', () => {
  const allowed = ['read', 'lists.write'];

  it('grants what is asked when the client holds it, everything it holds when nothing is asked', () => {
    expect(resolveScopes('read', allowed)).toEqual(['read']);
    expect(resolveScopes('lists.write read', allowed)).toEqual(['lists.write', 'read']);
    expect(resolveScopes(undefined, allowed)).toEqual(allowed);
  });

  it('answers invalid_scope for unknown scopes and scopes the client does not hold', () => {
    expect(code(() => resolveScopes('openid,read', allowed))).toBe('400 invalid_scope');
    expect(code(() => resolveScopes('read,config.write', allowed))).toBe('400 invalid_scope');
    expect(code(() => resolveScopes('ims.admin', allowed))).toBe('400 invalid_scope');
  });
});

describe('clientCredentials', () => {
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

  it('takes them from the body or from HTTP Basic', () => {
    expect(clientCredentials(form({ client_id: 'a', client_secret: 's' }), undefined)).toEqual({ clientId: 'a', secret: 's' });
    expect(clientCredentials(form({}), basic('a', 's:x'))).toEqual({ clientId: 'a', secret: 's:x' });
    expect(clientCredentials(form({ client_id: 'a' }), basic('a', 's'))).toEqual({ clientId: 'a', secret: 's' });
  });

  it('refuses missing, doubled or conflicting credentials', () => {
    expect(code(() => clientCredentials(form({ client_id: 'a' }), undefined))).toBe('400 invalid_request');
    expect(code(() => clientCredentials(form({ client_secret: 's' }), undefined))).toBe('400 invalid_request');
    expect(code(() => clientCredentials(form({ client_secret: 's' }), basic('a', 's')))).toBe('400 invalid_request');
    expect(code(() => clientCredentials(form({ client_id: 'b' }), basic('a', 's')))).toBe('400 invalid_request');
    expect(code(() => clientCredentials(form({}), `Basic ${Buffer.from('nocolon').toString('base64')}`))).toBe('400 invalid_request');
  });
});
