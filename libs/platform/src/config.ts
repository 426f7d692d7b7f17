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
  const problems = result.success
    ? [...kafkaSecurityProblems(result.data as Partial<BaseConfig>), ...productionProblems(result.data as Partial<BaseConfig>)]
    : result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  if (result.success && problems.length === 0) return result.data;
  throw new ConfigError(problems);
}

/**
 * In production the keys that verify every token are fetched over TLS: an `http` IMS_URL is
 * accepted only on loopback (a sidecar or the same machine), where nobody on the path can swap them.
 */
function productionProblems(c: Partial<BaseConfig>): string[] {
  if (c.NODE_ENV !== 'production' || !c.IMS_URL) return [];
  const url = new URL(c.IMS_URL);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  return url.protocol === 'http:' && !loopback ? [`IMS_URL: must be https in production (the keys that verify every token come from it); http only on loopback, got ${url.origin}`] : [];
}

/** SASL needs both halves of its credentials, and credentials without a mechanism would be silently unused. */
function kafkaSecurityProblems(c: Partial<BaseConfig>): string[] {
  const problems: string[] = [];
  const mechanism = c.KAFKA_SASL_MECHANISM;
  if (mechanism) {
    if (!c.KAFKA_SASL_USERNAME) problems.push(`KAFKA_SASL_USERNAME: required with KAFKA_SASL_MECHANISM=${mechanism}`);
    if (!c.KAFKA_SASL_PASSWORD) problems.push(`KAFKA_SASL_PASSWORD: required with KAFKA_SASL_MECHANISM=${mechanism}`);
  } else if (c.KAFKA_SASL_USERNAME || c.KAFKA_SASL_PASSWORD) {
    problems.push('KAFKA_SASL_MECHANISM: set it (scram-sha-256, scram-sha-512 or plain) to use KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
  }
  return problems;
}

const flag = z.enum(['true', 'false', '1', '0', '']).default('').transform((v) => v === 'true' || v === '1');

const port = z.coerce.number().int().min(1).max(65535);

/** Variables every service shares; each app extends this with its own. */
export const BaseEnvSchema = z.object({
  /** Unset means production: development secrets are refused unless development is asked for (npm start does). */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  /** Proxies in front of the service whose X-Forwarded-For is believed (the client address of rate limits); 0 = none. */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /**
   * A connection silent this long (a client that stopped sending mid-upload) is closed. There is no
   * limit on a whole request: an upload of millions of lines lasts as long as it keeps sending.
   */
  HTTP_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
  /** Audit entries (GET /v1/audit) are kept this long. */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(400),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .refine((v) => v.split(',').every((b) => /^[^:\s]+:\d+$/.test(b)), 'must be host:port[,host:port...]'),
  KAFKA_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_-]*$/, 'lowercase letters, digits, - and _ only')
    .default(''),
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(3),
  /** SASL towards the broker (the local one and production's require it): the mechanism, then this service's principal. */
  KAFKA_SASL_MECHANISM: z.enum(['', 'scram-sha-256', 'scram-sha-512', 'plain']).default(''),
  KAFKA_SASL_USERNAME: z.string().max(256).default(''),
  KAFKA_SASL_PASSWORD: z.string().max(1024).default(''),
  /** TLS towards the broker (SASL_SSL in production; the local broker listens on loopback without it). */
  KAFKA_SSL: flag,
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
