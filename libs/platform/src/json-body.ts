import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { Errors } from './domain-error';

/**
 * express.json for `application/json` bodies, except on requests `skip` leaves to their route
 * (raw streams, OAuth forms). Its failures become domain errors, answered by the HttpErrorFilter.
 */
export function jsonBody(options: { limit: string; skip?: (req: Request) => boolean }) {
  const parse = express.json({ limit: options.limit, type: ['application/json'] });
  return (req: Request, res: Response, next: NextFunction) => {
    if (options.skip?.(req)) return next();
    parse(req, res, (err?: unknown) => next(err === undefined ? undefined : bodyError(err, options.limit)));
  };
}

function bodyError(err: unknown, limit: string): unknown {
  const e = err as { status?: number; type?: string };
  if (e?.status === 413) return Errors.tooLarge(`request body too large (${limit} at most for JSON)`);
  if (e?.status === 415) return Errors.unsupportedMedia('unsupported body encoding');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return Errors.badRequest('malformed JSON body');
  return err;
}
