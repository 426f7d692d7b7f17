import path from 'node:path';
import { z } from 'zod';
import { BaseEnvSchema, loadConfig, portVar } from '@audx/platform';

/** Versions kept per audience at most: GET .../versions answers all of them in one array. */
export const MAX_KEPT_VERSIONS = 1000;

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const PublicationEnvSchema = BaseEnvSchema.extend({
  PORT: portVar(4400),
  MYSQL_DATABASE: z.string().regex(/^[a-z0-9_]{1,64}$/).default('audx_publication'),
  /** identity-reconciliation, asked about a share whose first chunk has not arrived yet. */
  IDENTITY_URL: z
    .string()
    .url()
    .default('http://127.0.0.1:4300')
    .transform((u) => u.replace(/\/+$/, '')),
  /** Outbound files go to `<OUTBOX_DIR>/<orgId>/`; temporary files to `<OUTBOX_DIR>/.tmp/<orgId>/` (same file system, so renames are atomic). */
  OUTBOX_DIR: z
    .string()
    .min(1)
    .default('.var/outbox')
    .transform((p) => path.resolve(p)),
  /** Lines per outbound file; a longer publication is split into `.1`, `.2`, ... */
  OUTBOUND_MAX_LINES: z.coerce.number().int().min(1).max(100_000_000).default(1_000_000),
  OUTBOUND_GZIP: flag,
  /** Versions of an audience kept (members, rows and files); older ones are pruned. */
  AUDIENCE_KEEP_VERSIONS: z.coerce.number().int().min(1).max(MAX_KEPT_VERSIONS).default(5),
  /** An export still missing chunks this long after its first one is marked failed (its staging is freed). */
  EXPORT_ASSEMBLY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(30 * 86400).default(6 * 3600),
  /**
   * Exports that stage at most this many identifiers (small lists, small deltas) are published by a
   * lane of their own, so that they never wait behind a big publication of another audience.
   */
  PUBLICATION_SMALL_MAX_IDENTIFIERS: z.coerce.number().int().min(1).default(20000),
  /** How often the publisher looks for assembled exports when nothing woke it. */
  PUBLICATION_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /**
   * Test hook, honoured only with NODE_ENV=test: the process SIGKILLs itself right after writing
   * the files of a version (before its transaction commits), or right after the version committed
   * (before the outbox relay could publish its event).
   */
  PUBLICATION_CRASH_AFTER: z.enum(['files', 'version', '']).default(''),
  /** Test hook, honoured only with NODE_ENV=test: a publication waits this long inside its transaction (to see what waits behind it). */
  PUBLICATION_TEST_DELAY_MS: z.coerce.number().int().min(0).default(0),
  /** Test hook, honoured only with NODE_ENV=test: staging a chunk waits this long inside its transaction. */
  PUBLICATION_STAGE_TEST_DELAY_MS: z.coerce.number().int().min(0).default(0),
  /** Test hook: only chunks of exports whose audience name starts with this are delayed while staged. */
  PUBLICATION_STAGE_TEST_DELAY_PREFIX: z.string().default(''),
  /** Test hook: only exports whose audience name starts with this are delayed. */
  PUBLICATION_TEST_DELAY_PREFIX: z.string().default(''),
  /** Test hook: when set, only this org's exports trigger PUBLICATION_CRASH_AFTER. */
  PUBLICATION_CRASH_ORG: z.string().default(''),
});
export type PublicationConfig = z.infer<typeof PublicationEnvSchema>;

export const loadPublicationConfig = (env: NodeJS.ProcessEnv = process.env): PublicationConfig => loadConfig(PublicationEnvSchema, env);

/** The crash point of the test hook, or null outside tests (the variable is ignored there). */
export function crashPoint(config: PublicationConfig): 'files' | 'version' | null {
  if (config.NODE_ENV !== 'test' || config.PUBLICATION_CRASH_AFTER === '') return null;
  return config.PUBLICATION_CRASH_AFTER;
}
