import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { DiscardLimits, DomainError, discardRest, LOGGER } from '@audx/platform';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_token_type'
  | 'too_many_requests'
  | 'temporarily_unavailable'
  | 'server_error';

/** An RFC 6749 §5.2 error: `{"error", "error_description"}` with its status. */
export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly status: number = 400,
    readonly retryAfter?: number,
  ) {
    super(description);
  }

  static invalidRequest(description: string) {
    return new OAuthError('invalid_request', description);
  }

  static tooLarge(maxBytes: number) {
    return new OAuthError('invalid_request', `request body larger than ${maxBytes} bytes`, 413);
  }

  static invalidClient(description = 'client authentication failed') {
    return new OAuthError('invalid_client', description, 401);
  }

  static invalidScope(description: string) {
    return new OAuthError('invalid_scope', description);
  }

  static unsupportedGrantType(grantType: string) {
    return new OAuthError('unsupported_grant_type', `grant_type ${JSON.stringify(grantType.slice(0, 40))} is not supported; use client_credentials`);
  }

  static tooManyFailures(retryAfter: number) {
    return new OAuthError('too_many_requests', `too many failed client authentications; retry in ${retryAfter} s`, 429, retryAfter);
  }
}

/** Token requests are small: a large unread rest is an attack, not a client to wait for. */
export const FORM_DISCARD_LIMITS: DiscardLimits = { capBytes: 4 * 1024 * 1024, capMs: 10_000 };

/**
 * The OAuth endpoints answer in OAuth's shape, never the platform's, and never with a 500 for
 * anything the caller sent. Whatever is left of an unread body is discarded (see discardRest).
 */
@Catch()
export class OAuthExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request & { id?: string }>();
    const res = host.switchToHttp().getResponse<Response>();
    const e = this.toOAuth(exception, req);
    if (!req.complete) discardRest(req, FORM_DISCARD_LIMITS);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    if (e.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="ims"');
    if (e.retryAfter !== undefined) res.setHeader('Retry-After', String(e.retryAfter));
    res.status(e.status).json({ error: e.code, error_description: e.description });
  }

  private toOAuth(exception: unknown, req: Request & { id?: string }): OAuthError {
    if (exception instanceof OAuthError) return exception;
    if (exception instanceof DomainError && exception.status === 503) return new OAuthError('temporarily_unavailable', exception.message, 503);
    this.logger.error({ err: exception, requestId: req.id, path: req.path }, 'OAuth endpoint failed');
    return new OAuthError('server_error', 'internal error', 500);
  }
}
