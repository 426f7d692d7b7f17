import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ShareRecord } from '@audx/contracts';
import { APP_CONFIG, LOGGER } from '@audx/platform';
import type { PublicationConfig } from '../config';

/** The caller's credentials, passed on unchanged: identity-reconciliation scopes the answer by them. */
export type CallerHeaders = Record<'authorization' | 'x-api-key' | 'x-gw-ims-org-id', string | undefined>;

const TIMEOUT_MS = 2000;

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

  async find(exportId: string, caller: CallerHeaders): Promise<ShareRecord | null> {
    const headers = Object.fromEntries(Object.entries(caller).filter((e): e is [string, string] => typeof e[1] === 'string'));
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
