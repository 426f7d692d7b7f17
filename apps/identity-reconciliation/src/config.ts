import { z } from 'zod';
import { atRestKeyVar, isDevelopmentKey } from '@audx/persistence';
import { BaseEnvSchema, loadConfig, portVar } from '@audx/platform';

/** Development default: convenient locally, refused when NODE_ENV=production. */
export const DEV_DATA_SOURCE_KEY_ENCRYPTION_KEY = Buffer.from('audx-identity-dev-only-seal-key1').toString('base64');
/** The default docker-compose.yml publishes for its local stack: as public as the development one. */
export const COMPOSE_DATA_SOURCE_KEY_ENCRYPTION_KEY = 'i66d1setFcDl7DBiD/Lxz2Nnlxbr/RZIcoRCPlgCZm4=';

const hostList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h.length > 0),
  )
  .refine((hosts) => hosts.every((h) => /^(\*\.)?[a-z0-9.-]+(:\d+)?$/.test(h)), 'comma-separated host names, optionally *.domain or host:port');

export const IdentityEnvSchema = BaseEnvSchema.extend({
  PORT: portVar(4300),
  MYSQL_DATABASE: z.string().regex(/^[a-z0-9_]{1,64}$/).default('audx_identity'),
  /** The DPID `defaultDataSource` carries when an org has not configured its own. */
  DEFAULT_DPID: z.coerce.number().int().positive().default(100000),
  /** Hosts the tracking redirect may send to (`example.com`, `*.example.com`, `host:port`); empty = none. */
  REDIRECT_ALLOWED_HOSTS: hostList,
  /** Where the tracking links this service signs point to (its public address); default: this port on loopback. */
  TRACKING_BASE_URL: z.string().url().optional(),
  /** Longest life of a signed tracking link; a rotated-out key verifies links this long after it was retired. */
  TRACKING_LINK_MAX_SECONDS: z.coerce.number().int().min(60).max(366 * 86400).default(90 * 86400),
  /** Clicks of the tracking redirect answered per client address and minute (then 429). */
  REDIRECT_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  /**
   * Shares of lists of at most this many members are made by a lane of their own, so that they
   * never wait behind a big list's share (of another org, or of the same one).
   */
  SHARE_SMALL_MAX_MEMBERS: z.coerce.number().int().min(1).default(20000),
  /** Identifiers per `list.exported` chunk. */
  EXPORT_CHUNK_SIZE: z.coerce.number().int().min(1).max(20000).default(2000),
  /** Largest NDJSON request body (recipients, visitors), in bytes, before 413. */
  NDJSON_MAX_BYTES: z.coerce.number().int().min(1024).default(4 * 1024 * 1024 * 1024),
  /** Longest NDJSON line; longer lines are rejected with their line number (domain.md: 102,400). */
  NDJSON_MAX_LINE_BYTES: z.coerce.number().int().min(256).default(102400),
  /** Rows per multi-row statement when writing recipients and links. */
  WRITE_BATCH_SIZE: z.coerce.number().int().min(1).max(10000).default(1000),
  /** How often the import applier looks for imports whose chunks are all staged. */
  IMPORT_APPLY_POLL_MS: z.coerce.number().int().min(10).max(60000).default(500),
  /**
   * Imports of at most this many members (streamed memberships, small files) are applied by a lane
   * of their own, so they never wait behind a big import's apply (lists of other segments).
   */
  IMPORT_SMALL_MAX_MEMBERS: z.coerce.number().int().min(1).default(20000),
  /**
   * A chunk is resolved to recipients when it is staged, so that reconciliation overlaps with the
   * upload, unless more than this many `segment.imported` messages wait behind it: then it is only
   * staged (the cheaper half) and the apply resolves it, so that a consumer that is falling behind
   * catches up, and the small imports behind it in its partition wait less. 0: always defer.
   */
  IMPORT_RESOLVE_MAX_BACKLOG: z.coerce.number().int().min(0).default(4),
  /**
   * An import still missing chunks this long after its last one arrived is abandoned (its sender
   * failed mid-upload and will never send the rest): its staging is freed, late chunks are ignored.
   */
  IMPORT_ABANDON_SECONDS: z.coerce.number().int().min(5).max(30 * 86400).default(86400),
  /** An applied import's unmatched report is kept this long, then purged (its figures stay). */
  IMPORT_REPORT_RETENTION_SECONDS: z.coerce.number().int().min(5).max(10 * 365 * 86400).default(30 * 86400),
  /**
   * What changed a list's identifiers is logged this long; an audience not shared for longer
   * recomputes its whole list at its next share, instead of only what changed.
   */
  SHARE_CHANGE_RETENTION_SECONDS: z.coerce.number().int().min(60).max(365 * 86400).default(7 * 86400),
  /** Test hook, honoured only with NODE_ENV=test: the applier waits this long inside the apply transaction (to crash it mid-apply). */
  IMPORT_APPLY_TEST_DELAY_MS: z.coerce.number().int().min(0).default(0),
  /** Test hook: only imports whose id starts with this are delayed (suites share topics; others' imports go at full speed). */
  IMPORT_APPLY_TEST_DELAY_PREFIX: z.string().default(''),
  /** Test hook, honoured only with NODE_ENV=test: a share waits this long inside its transaction (to see what waits behind it). */
  SHARE_TEST_DELAY_MS: z.coerce.number().int().min(0).default(0),
  /** Test hook: only shares of lists whose name starts with this are delayed. */
  SHARE_TEST_DELAY_PREFIX: z.string().default(''),
  /** Test hook, honoured only with NODE_ENV=test: the chunk expander waits this long inside the transaction that stages a chunk. */
  IMPORT_EXPAND_TEST_DELAY_MS: z.coerce.number().int().min(0).default(0),
  /** Test hook: only chunks of imports whose id starts with this are delayed. */
  IMPORT_EXPAND_TEST_DELAY_PREFIX: z.string().default(''),
  /** Seals data sources' AES keys at rest (32 bytes, hex or base64); losing it loses those keys. */
  DATA_SOURCE_KEY_ENCRYPTION_KEY: atRestKeyVar(DEV_DATA_SOURCE_KEY_ENCRYPTION_KEY),
}).superRefine((c, ctx) => {
  if (c.NODE_ENV === 'production' && isDevelopmentKey(c.DATA_SOURCE_KEY_ENCRYPTION_KEY, DEV_DATA_SOURCE_KEY_ENCRYPTION_KEY, COMPOSE_DATA_SOURCE_KEY_ENCRYPTION_KEY)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['DATA_SOURCE_KEY_ENCRYPTION_KEY'], message: 'the development default must not be used in production; set a key' });
  }
});
export type IdentityConfig = z.infer<typeof IdentityEnvSchema>;

export const loadIdentityConfig = (env: NodeJS.ProcessEnv = process.env): IdentityConfig => loadConfig(IdentityEnvSchema, env);
