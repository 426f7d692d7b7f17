import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ShareRecord } from '@audx/contracts';
import { APP_CONFIG, Errors, LOGGER } from '@audx/platform';
import type { PublicationConfig } from '../config';

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

  /**
   * Asks identity-reconciliation, which holds the lists, for the list of a share's complement, as
   * the caller: its answer (201, 404, 409, or the caller's 401/403) is passed on; unreachable: 503.
   */
  async complement(exportId: string, caller: CallerHeaders): Promise<{ listId: string; name: string; size: number; exportId: string }> {
    let res: Response;
    try {
      res = await fetch(`${this.config.IDENTITY_URL}/v1/shares/${encodeURIComponent(exportId)}/complement`, { method: 'POST', headers: headersOf(caller), signal: AbortSignal.timeout(COMPLEMENT_TIMEOUT_MS) });
    } catch (err) {
      this.logger.warn({ exportId, err: String(err) }, 'identity-reconciliation unreachable to make a complement list');
      throw Errors.unavailable('identity-reconciliation, which makes the list, cannot be reached; try again');
    }
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    if (res.status === 201) return body as unknown as { listId: string; name: string; size: number; exportId: string };
    const message = body?.error?.message ?? 'identity-reconciliation refused the complement';
    if (res.status === 404) throw Errors.notFound('export');
    if (res.status === 409) throw Errors.conflict(message);
    if (res.status === 401) throw Errors.unauthorized(message);
    if (res.status === 403) throw Errors.forbidden(message);
    this.logger.warn({ exportId, status: res.status }, 'identity-reconciliation failed to make a complement list');
    throw Errors.unavailable('identity-reconciliation could not make the list; try again');
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
