/** A business error with a stable string code; one filter per app maps codes to HTTP statuses. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const Errors = {
  badRequest: (message: string, details?: unknown) => new DomainError('bad_request', message, 400, details),
  unauthorized: (message = 'missing or invalid access token') => new DomainError('unauthorized', message, 401),
  forbidden: (message: string) => new DomainError('forbidden', message, 403),
  notFound: (what: string) => new DomainError('not_found', `${what} not found`, 404),
  conflict: (message: string) => new DomainError('conflict', message, 409),
  tooLarge: (message: string) => new DomainError('payload_too_large', message, 413),
  unsupportedMedia: (message: string) => new DomainError('unsupported_media_type', message, 415),
  unprocessable: (message: string, details?: unknown) => new DomainError('unprocessable', message, 422, details),
  tooManyRequests: (message: string) => new DomainError('too_many_requests', message, 429),
  unavailable: (message: string) => new DomainError('unavailable', message, 503),
};

/**
 * What a log line may say about an error on a data path: a DomainError's own sentence (written
 * for clients), else only the error's kind and code. Driver and parser messages can quote the
 * values they choked on (an identifier, an email), which logs must never carry.
 */
export function loggableError(err: unknown): string {
  if (err instanceof DomainError) return err.message;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' || typeof code === 'number' ? `${err.name} (${code})` : err.name;
  }
  return typeof err;
}
