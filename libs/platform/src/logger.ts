import pino, { Logger } from 'pino';

/** Structured JSON logs; personal data is never logged (log counts or hashes). */
export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'clientSecret', 'client_secret', 'privateKey', 'password'], censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
}
export type { Logger };
