import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { discardRest } from './discard-body';
import { DomainError } from './domain-error';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
  503: 'unavailable',
};

/** Maps every error to `{"error":{code,message,requestId}}`; never a stack trace on the wire. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string }>();
    const requestId = String(req.id ?? '');
    const { status, code, message, details, headers } = this.describe(exception);
    if (status >= 500) this.logger.error({ err: exception, requestId, path: req.path }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    // Refused before its body was read (413, 415, ...): see discardRest.
    if (!req.complete) discardRest(req);
    res.status(status).json({ error: { code, message, requestId, ...(details === undefined ? {} : { details }) } });
  }

  private describe(exception: unknown) {
    const headers: Record<string, string> = {};
    if (exception instanceof DomainError) {
      if (exception.status === 429 && typeof exception.details === 'object' && exception.details && 'retryAfter' in exception.details) {
        headers['Retry-After'] = String((exception.details as { retryAfter: number }).retryAfter);
      }
      return { status: exception.status, code: exception.code, message: exception.message, details: exception.details, headers };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const raw = typeof body === 'string' ? body : (body as { message?: string | string[] }).message;
      const message = Array.isArray(raw) ? raw.join('; ') : (raw ?? exception.message);
      return { status, code: CODE_BY_STATUS[status] ?? 'error', message, details: undefined, headers };
    }
    // errors of Node's and express's own HTTP layers carry a 4xx status
    const e = exception as { status?: number; statusCode?: number; message?: string };
    const status = e.status ?? e.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { status, code: CODE_BY_STATUS[status] ?? 'bad_request', message: e.message ?? 'bad request', details: undefined, headers };
    }
    return { status: 500, code: 'internal', message: 'internal error', details: undefined, headers };
  }
}
