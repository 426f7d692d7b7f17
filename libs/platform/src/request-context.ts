import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from './metrics';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Gives every request an id (kept from `x-request-id` when sane), logs it as JSON and times it. */
export function requestContext(logger: Logger, metrics: Metrics) {
  return (req: Request & { id?: string }, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    req.id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // a label is a route pattern or one fixed word, never the path a client chose: labels stay few
      const route = (req.route?.path as string | undefined) ?? (res.statusCode === 404 ? 'unmatched' : 'unrouted');
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      if (req.path === '/health' || req.path === '/ready' || req.path === '/metrics') return;
      // the route pattern, not the path: a path carries recipient ids, visitor ids and file names
      logger.info({ requestId: req.id, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000), org: req.header('x-gw-ims-org-id') }, 'request');
    });
    next();
  };
}
