import { z } from 'zod';
import { atRestKeyVar, isDevelopmentKey } from '@audx/persistence';
import { BaseEnvSchema, loadConfig, portVar } from '@audx/platform';
import { isAddressOrRange } from './tokens/client-address';

/** Development defaults: convenient locally, refused when NODE_ENV=production. */
export const DEV_ADMIN_CLIENT_SECRET = 'audx-ims-dev-only-admin-secret';
export const DEV_KEY_ENCRYPTION_KEY = Buffer.from('audx-ims-dev-only-key-encrypt-01').toString('base64');
/** The defaults docker-compose.yml publishes for its local stack: as public as the development ones. */
export const COMPOSE_ADMIN_CLIENT_SECRET = 'local-dev-operator-secret';
export const COMPOSE_KEY_ENCRYPTION_KEY = 'bcTmhnhfFW6H1Vw9gINXbv8R6Z4R6k4wwa+r94XKya0=';

const seconds = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

export const ImsEnvSchema = BaseEnvSchema.extend({
  PORT: portVar(4100),
  MYSQL_DATABASE: z.string().regex(/^[a-z0-9_]{1,64}$/).default('audx_ims'),
  /** `iss` of issued tokens and of the discovery document; defaults to IMS_URL. */
  IMS_ISSUER: z.string().url().optional(),
  /** The `as` claim (Adobe's IMS shard). */
  IMS_SHARD: z.string().regex(/^[a-z0-9-]{1,32}$/).default('ims-na1'),
  IMS_ADMIN_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{3,64}$/, 'letters, digits, . _ - only, 3 to 64 characters')
    .default('audx-ims-admin'),
  IMS_ADMIN_CLIENT_SECRET: z.string().min(16, 'at least 16 characters').max(256).default(DEV_ADMIN_CLIENT_SECRET),
  /** Encrypts signing keys at rest (AES-256-GCM): 32 bytes as 64 hex characters or base64. */
  IMS_KEY_ENCRYPTION_KEY: atRestKeyVar(DEV_KEY_ENCRYPTION_KEY),
  IMS_TOKEN_TTL_SECONDS: seconds(60, 7 * 86400, 86400),
  /** A signing key older than this is replaced (automatic rotation). */
  IMS_KEY_MAX_AGE_SECONDS: seconds(3600, 365 * 86400, 30 * 86400),
  /** A new key is in the JWKS this long before it signs; keep it above the guards' JWKS cache age (300 s). */
  IMS_KEY_PUBLISH_LEAD_SECONDS: seconds(0, 7 * 86400, 900),
  IMS_AUTH_FAILURE_WINDOW_SECONDS: seconds(1, 86400, 300),
  IMS_AUTH_FAILURES_PER_CLIENT: z.coerce.number().int().min(1).max(100000).default(10),
  IMS_AUTH_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(100000).default(100),
  /** Reverse proxies whose X-Forwarded-For is believed: comma-separated IPs or CIDR ranges; none by default. */
  IMS_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((e) => e.trim()).filter(Boolean))
    .refine((list) => list.every(isAddressOrRange), 'must be IP addresses or CIDR ranges, comma-separated'),
  /** Largest token / validate / invalidate form body, in bytes. */
  IMS_FORM_MAX_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024).default(16 * 1024),
}).superRefine((c, ctx) => {
  if (c.NODE_ENV !== 'production') return;
  if (c.IMS_ADMIN_CLIENT_SECRET === DEV_ADMIN_CLIENT_SECRET || c.IMS_ADMIN_CLIENT_SECRET === COMPOSE_ADMIN_CLIENT_SECRET) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['IMS_ADMIN_CLIENT_SECRET'], message: 'the development default must not be used in production; set a secret' });
  }
  if (isDevelopmentKey(c.IMS_KEY_ENCRYPTION_KEY, DEV_KEY_ENCRYPTION_KEY, COMPOSE_KEY_ENCRYPTION_KEY)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['IMS_KEY_ENCRYPTION_KEY'], message: 'the development default must not be used in production; set a key' });
  }
});
export type ImsConfig = z.infer<typeof ImsEnvSchema>;

export const loadImsConfig = (env: NodeJS.ProcessEnv = process.env): ImsConfig => loadConfig(ImsEnvSchema, env);

/** The `iss` of this IMS: IMS_ISSUER, or IMS_URL without a trailing slash. */
export function issuerOf(config: ImsConfig): string {
  return (config.IMS_ISSUER ?? config.IMS_URL).replace(/\/+$/, '');
}
