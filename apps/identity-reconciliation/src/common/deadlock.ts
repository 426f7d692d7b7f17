/** Runs `work` again when MySQL chose it as a deadlock victim (1213) or a lock wait timed out (1205). */
export async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      const errno = (err as { errno?: number; driverError?: { errno?: number } }).errno ?? (err as { driverError?: { errno?: number } }).driverError?.errno;
      if (i >= attempts || (errno !== 1213 && errno !== 1205)) throw err;
      await new Promise((r) => setTimeout(r, 50 * i + Math.floor(Math.random() * 50)));
    }
  }
}
