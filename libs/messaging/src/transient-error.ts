/** MySQL and socket error codes that say "the database is away", never "this message is bad". */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_NORMAL_SHUTDOWN',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
]);

/**
 * True when an error came from the infrastructure (database restarting, connection cut, lock
 * contention) rather than from the message: such a message must be retried later, not
 * dead-lettered, or a MySQL restart would move good messages to the DLQ.
 */
export function isTransientError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, errno, fatal } = e as { code?: unknown; errno?: unknown; fatal?: unknown };
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    // mysql2 marks connection-level failures fatal; 2002/2006/2013 are "can't connect", "gone away", "lost"
    if (fatal === true || errno === 2002 || errno === 2006 || errno === 2013) return true;
    e = (e as { cause?: unknown; driverError?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}
