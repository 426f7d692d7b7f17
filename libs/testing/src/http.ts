/** Reads a JSON body with the type the test expects (fetch types it as unknown). */
export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}
