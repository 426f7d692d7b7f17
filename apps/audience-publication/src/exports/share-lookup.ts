import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ShareRecord } from '@audx/contracts';
import { APP_CONFIG, Errors, LOGGER } from '@audx/platform';
import type { PublicationConfig } from '../config';

/** Whether an audience is kept in sync (identity-reconciliation's answer). */
export interface SyncView {
  audienceId: string;
  enabled: boolean;
  debounceSeconds: number;
  listId: string | null;
  lastExportId: string | null;
  dueAt: string | null;
}

/** The caller's credentials, passed on unchanged: identity-reconciliation scopes the answer by them. */
export type CallerHeaders = Record<'authorization' | 'x-api-key' | 'x-gw-ims-org-id', string | undefined>;

const TIMEOUT_MS = 2000;
/** Making the list copies every member without an identifier: longer than a lookup. */
const COMPLEMENT_TIMEOUT_MS = 120_000;

const headersOf = (caller: CallerHeaders) => Object.fromEntries(Object.entries(caller).filter((e): e is [string, string] => typeof e[1] === 'string'));

/**
 * Tells an export whose first chunk has not arrived yet (identity-reconciliation emitted it a
 * moment ago) from one that does not exist. A query over plain HTTP, as system.md allows between
 * services; when identity-reconciliation cannot answer, the export is unknown here, so 404.
 */
@Injectable()
export class ShareLookup {
  constructor(
    @Inject(APP_CONFIG) private readonly config: PublicationConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** A list of the share's complement, made by identity-reconciliation, which holds the lists. */
  complement(exportId: string, caller: CallerHeaders): Promise<{ listId: string; name: string; size: number; exportId: string }> {
    return this.ask('POST', `/v1/shares/${encodeURIComponent(exportId)}/complement`, caller, undefined, COMPLEMENT_TIMEOUT_MS);
  }

  /** Whether an audience is kept in sync with its list: identity-reconciliation, which watches the lists, keeps it. */
  syncOf(audienceId: string, caller: CallerHeaders): Promise<SyncView> {
    return this.ask('GET', `/v1/shares/audiences/${encodeURIComponent(audienceId)}/sync`, caller);
  }

  setSync(audienceId: string, body: unknown, caller: CallerHeaders): Promise<SyncView> {
    return this.ask('PUT', `/v1/shares/audiences/${encodeURIComponent(audienceId)}/sync`, caller, body);
  }

  /**
   * A call to identity-reconciliation as the caller: its answer (2xx, 400, 404, 409, or the
   * caller's 401/403) is passed on with its message; unreachable or failing: 503.
   */
  private async ask<T>(method: string, path: string, caller: CallerHeaders, body?: unknown, timeoutMs = TIMEOUT_MS): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.config.IDENTITY_URL}${path}`, {
        method,
        headers: { ...headersOf(caller), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      this.logger.warn({ method, path, err: String(err) }, 'identity-reconciliation unreachable');
      throw Errors.unavailable('identity-reconciliation cannot be reached; try again');
    }
    const answer = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    if (res.ok) return answer as T;
    const message = answer?.error?.message ?? 'identity-reconciliation refused the request';
    if (res.status === 400) throw Errors.badRequest(message);
    if (res.status === 404) throw Errors.notFound(message.replace(/ not found$/, ''));
    if (res.status === 409) throw Errors.conflict(message);
    if (res.status === 401) throw Errors.unauthorized(message);
    if (res.status === 403) throw Errors.forbidden(message);
    this.logger.warn({ method, path, status: res.status }, 'identity-reconciliation failed a request');
    throw Errors.unavailable('identity-reconciliation could not answer; try again');
  }

  async find(exportId: string, caller: CallerHeaders): Promise<ShareRecord | null> {
    const headers = headersOf(caller);
    try {
      const res = await fetch(`${this.config.IDENTITY_URL}/v1/shares/${encodeURIComponent(exportId)}`, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (res.status === 200) return (await res.json()) as ShareRecord;
      await res.body?.cancel();
      if (res.status !== 404) this.logger.warn({ exportId, status: res.status }, 'identity-reconciliation did not confirm a share');
      return null;
    } catch (err) {
      this.logger.warn({ exportId, err: String(err) }, 'identity-reconciliation unreachable to confirm a share');
      return null;
    }
  }
}
