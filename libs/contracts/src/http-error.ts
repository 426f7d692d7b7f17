/** The error body every service answers with (system.md). */
export interface HttpErrorBody {
  error: { code: string; message: string; requestId: string; details?: unknown };
}

export interface Page<T> {
  items: T[];
  next: string | null;
}
