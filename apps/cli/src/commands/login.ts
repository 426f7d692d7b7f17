import { CliError, ExitCode } from '../exit-codes';
import type { CliContext } from '../context';

export async function login(ctx: CliContext, o: { clientId?: string; clientSecret?: string; scope?: string }, env: NodeJS.ProcessEnv): Promise<void> {
  const clientId = o.clientId ?? env.AUDX_CLIENT_ID;
  const clientSecret = o.clientSecret ?? env.AUDX_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    throw new CliError('a client id and a secret are needed', ExitCode.usage, 'pass --client-id and --client-secret, or set AUDX_CLIENT_ID and AUDX_CLIENT_SECRET (the secret stays out of your shell history)');
  }
  const s = await ctx.session.login(clientId, clientSecret, o.scope ?? null);
  const until = new Date(s.expiresAt).toISOString();
  ctx.out.result({ orgId: s.orgId, clientId: s.clientId, expiresAt: until }, () => `Logged in: client ${s.clientId} of org ${s.orgId}; the token is valid until ${until} and renewed after that.`);
}

export function logout(ctx: CliContext): void {
  const was = ctx.session.logout();
  ctx.out.result({ loggedOut: was }, () => (was ? 'Logged out: the credentials and the token are forgotten.' : 'Not logged in.'));
}
