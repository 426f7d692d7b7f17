import type { Readable } from 'node:stream';

export interface DiscardLimits {
  /** Bytes read and dropped at most; past them the connection is cut. */
  capBytes: number;
  /** Time given to the client to finish its upload; past it the connection is cut. */
  capMs: number;
}

const DEFAULT_LIMITS: DiscardLimits = { capBytes: 64 * 1024 * 1024, capMs: 30_000 };

/**
 * After an early answer (413, 415, malformed body), reads and drops the rest of the body on a
 * live keep-alive connection, so that a client still uploading finishes and reads the answer
 * instead of a reset (closing at once turns a 413 into EPIPE on the client). A body beyond the
 * limits is not worth reading: the connection is cut then.
 */
export function discardRest(req: Readable, limits: DiscardLimits = DEFAULT_LIMITS): void {
  let dropped = 0;
  const timer = setTimeout(() => req.destroy(), limits.capMs);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > limits.capBytes) req.destroy();
  });
  req.once('close', () => clearTimeout(timer));
  req.resume();
}
