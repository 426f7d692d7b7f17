import { CliError, ExitCode, ExitCodeValue } from './exit-codes';

/** The platform's error body (`{"error":{code,message,requestId}}`) or IMS's OAuth one. */
interface ErrorBody {
  error?: { code?: string; message?: string; requestId?: string; details?: unknown } | string;
  error_description?: string;
}

function exitCodeOf(status: number): ExitCodeValue {
  if (status === 401 || status === 403) return ExitCode.auth;
  if (status === 404) return ExitCode.notFound;
  if (status >= 500) return ExitCode.unavailable;
  if (status >= 400) return ExitCode.refused;
  return ExitCode.failure;
}

function hintOf(status: number, code: string | undefined): string | undefined {
  if (status === 401) return 'run `audx login` again (the token or the credentials were refused)';
  if (status === 403) return code === 'insufficient_scope' || code === 'forbidden' ? 'the client lacks the scope this needs: ask an operator to grant it, then `audx login`' : 'check the org of your credentials';
  if (status === 503) return 'the service is starting or a dependency is down: check its /ready, then try again';
  if (status >= 500) return 'try again; if it persists, look for the request id in the service log';
  return undefined;
}

/** Turns a non-2xx answer into a CliError that says what failed and what to do. */
export async function failureOf(what: string, res: Response): Promise<CliError> {
  const text = await res.text().catch(() => '');
  let body: ErrorBody = {};
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    /* not JSON: the status says enough */
  }
  const e = typeof body.error === 'object' ? body.error : undefined;
  const code = e?.code ?? (typeof body.error === 'string' ? body.error : undefined);
  const message = e?.message ?? body.error_description ?? (text.slice(0, 200) || res.statusText);
  const request = e?.requestId ? ` (request ${e.requestId})` : '';
  return new CliError(`${what}: ${res.status}${code ? ` ${code}` : ''}: ${message}${request}`, exitCodeOf(res.status), hintOf(res.status, code));
}

/** fetch, with a network failure reported as "unavailable" and the URL it could not reach. */
export async function request(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new CliError(`cannot reach ${new URL(url).origin}: ${cause}`, ExitCode.unavailable, 'is the stack running (`npm start`)? the AUDX_*_URL variables say where the services are');
  }
}

/** An authenticated JSON client of the four services. */
export class ApiClient {
  constructor(private readonly headers: () => Promise<Record<string, string>>) {}

  async json<T>(what: string, url: string, init: RequestInit = {}): Promise<T> {
    const res = await this.raw(url, init);
    if (!res.ok) throw await failureOf(what, res);
    return (await res.json()) as T;
  }

  async raw(url: string, init: RequestInit = {}): Promise<Response> {
    return request(url, { ...init, headers: { ...(await this.headers()), ...(init.headers as Record<string, string> | undefined) } });
  }
}
