import path from 'node:path';
import { z } from 'zod';
import { BaseEnvSchema, loadConfig, portVar } from '@audx/platform';

const int = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

export const IngestionEnvSchema = BaseEnvSchema.extend({
  PORT: portVar(4200),
  MYSQL_DATABASE: z.string().regex(/^[a-z0-9_]{1,64}$/).default('audx_ingestion'),
  /** Largest request body, as sent (compressed or not); above it the upload is refused with 413. */
  IMPORT_MAX_BYTES: int(1, Number.MAX_SAFE_INTEGER, 5 * 1024 ** 3),
  /** Largest decompressed content of a gzip upload (the vendor's 5 GB). */
  IMPORT_MAX_UNCOMPRESSED_BYTES: int(1, Number.MAX_SAFE_INTEGER, 5 * 1024 ** 3),
  /** Above this decompressed/compressed ratio (past the first 10 MB) a gzip upload is a bomb: 413. */
  IMPORT_MAX_GZIP_RATIO: int(10, 100000, 200),
  /** Members per segment.imported chunk. */
  IMPORT_CHUNK_SIZE: int(1, 50000, 5000),
  /** Distinct lines per import de-duplicated in memory (32 bytes each at most); beyond, through MySQL. */
  IMPORT_DEDUPE_MEMORY_LINES: int(0, 100_000_000, 1_000_000),
  /** A `receiving` import not touched for this long belongs to a dead process: it fails. */
  IMPORT_STALE_SECONDS: int(5, 86400, 60),
  /** DPID of `defaultDataSource` until identity-reconciliation says otherwise. */
  DEFAULT_DPID: int(1, 2 ** 31 - 1, 100000),
  INBOX_DIR: z.string().default(path.resolve('.var/inbox')),
  INBOX_SCAN_MS: int(100, 3600000, 2000),
  /** A part of a split batch (a numbered AAM file) waits this long for the `.info` that lists it, then fails. */
  INBOX_BATCH_WAIT_SECONDS: int(1, 7 * 86400, 3600),
  /** Streamed memberships wait at most this long before they become an import. */
  STREAM_FLUSH_MS: int(10, 10000, 200),
  /**
   * Uploads pause between chunks while more streamed memberships than STREAM_PRIORITY_BACKLOG wait
   * to be consumed, or the next one has waited longer than STREAM_PRIORITY_LAG_MS (for at most
   * STREAM_PRIORITY_MAX_WAIT_MS per chunk): a big file never delays the live stream for long.
   */
  STREAM_PRIORITY_BACKLOG: int(0, 10_000_000, 200),
  STREAM_PRIORITY_LAG_MS: int(0, 600_000, 250),
  STREAM_PRIORITY_MAX_WAIT_MS: int(0, 60000, 2000),
});
export type IngestionConfig = z.infer<typeof IngestionEnvSchema>;

export const loadIngestionConfig = (): IngestionConfig => loadConfig(IngestionEnvSchema);
