import type { Logger } from 'pino';

/**
 * A test hook, honoured only with NODE_ENV=test: holds the caller (inside its transaction) for
 * `ms` when `id` starts with `prefix`, after logging `message`, which tests wait for to know the
 * transaction is open (to kill the process in it, or to see what waits behind it).
 */
export async function holdForTest(hold: { nodeEnv: string; ms: number; prefix: string }, id: string, logger: Logger, message: string): Promise<void> {
  if (hold.nodeEnv !== 'test' || hold.ms === 0 || !id.startsWith(hold.prefix)) return;
  logger.warn({ heldId: id, delayMs: hold.ms }, message);
  await new Promise((r) => setTimeout(r, hold.ms));
}
