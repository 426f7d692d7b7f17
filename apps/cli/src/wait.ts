import { CliError, ExitCode } from './exit-codes';

/** Polls until `done` says the job ended, or the timeout: a script waiting gets a clear exit code. */
export async function waitUntil<T>(what: string, timeoutS: number, poll: () => Promise<T>, done: (v: T) => boolean, onEach?: (v: T) => void): Promise<T> {
  const deadline = Date.now() + timeoutS * 1000;
  for (let delay = 200; ; delay = Math.min(2000, delay * 1.5)) {
    const v = await poll();
    onEach?.(v);
    if (done(v)) return v;
    if (Date.now() > deadline) throw new CliError(`${what}: still not done after ${timeoutS} s`, ExitCode.timedOut, 'it goes on in the service: look again later, or wait longer with --timeout');
    await new Promise((r) => setTimeout(r, delay));
  }
}
