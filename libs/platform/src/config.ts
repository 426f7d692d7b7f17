import { z } from 'zod';

/** Thrown at boot with every problem of the environment, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Validates the environment once; `process.env` is read nowhere else. */
export function loadConfig<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new ConfigError(problems);
}

const port = z.coerce.number().int().min(1).max(65535);

/** Variables every service shares; each app extends this with its own. */
export const BaseEnvSchema = z.object({
  /** Unset means production: development secrets are refused unless development is asked for (npm start does). */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .refine((v) => v.split(',').every((b) => /^[^:\s]+:\d+$/.test(b)), 'must be host:port[,host:port...]'),
  KAFKA_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_-]*$/, 'lowercase letters, digits, - and _ only')
    .default(''),
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(3),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(5).default(1),
  MYSQL_URL: z.string().regex(/^mysql:\/\//, 'must be a mysql:// URL').default('mysql://root@127.0.0.1:3306'),
  MYSQL_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  IMS_URL: z.string().url().default('http://127.0.0.1:4100'),
  /** The `aud` of the tokens IMS issues, which every service requires. */
  IMS_AUDIENCE: z.string().min(1).max(256).default('audience-exchange'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(15000),
  CONSUMER_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(3),
  /** Event ids kept for de-duplication; must exceed how long Kafka can redeliver (its retention). */
  PROCESSED_EVENTS_RETENTION_HOURS: z.coerce.number().int().min(1).max(24 * 365).default(168),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300000).default(10000),
  /**
   * Partitions whose batches a consumer handles at once: a big import's chunks in one partition
   * must not hold back small events in the others (order is kept within a partition, by key).
   */
  KAFKA_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(3),
  /** The revocation feed silent this long (broker away, consumer crashed): tokens are refused until it catches up. */
  REVOCATION_FEED_STALE_SECONDS: z.coerce.number().int().min(2).max(600).default(15),
});
export type BaseConfig = z.infer<typeof BaseEnvSchema>;

export function portVar(defaultPort: number) {
  return port.default(defaultPort);
}
