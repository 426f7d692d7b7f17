import { EventEmitter } from 'node:events';
import type { NextFunction, Request, Response } from 'express';
import pino from 'pino';
import { Metrics } from './metrics';
import { requestContext } from './request-context';

/** Runs one request through the middleware and finishes it with a status, with or without a matched route. */
function serve(middleware: ReturnType<typeof requestContext>, path: string, status: number, routePath?: string): void {
  const req = { path, method: 'POST', header: () => undefined, ...(routePath ? { route: { path: routePath } } : {}) } as unknown as Request;
  const res = Object.assign(new EventEmitter(), { statusCode: status, setHeader: () => undefined }) as unknown as Response;
  middleware(req, res, (() => undefined) as NextFunction);
  res.emit('finish');
}

describe('requestContext', () => {
  it('labels timings by route pattern, and every unrouted request with one word whatever its path', async () => {
    const metrics = new Metrics('test');
    const middleware = requestContext(pino({ level: 'silent' }), metrics);
    serve(middleware, '/v1/lists/lst_1', 200, '/v1/lists/:listId');
    for (let i = 0; i < 50; i++) {
      serve(middleware, `/v1/${Math.random().toString(36).slice(2)}/x`, 400);
      serve(middleware, `/nowhere-${i}`, 404);
    }
    const routes = new Set((await metrics.httpDuration.get()).values.map((v) => String(v.labels.route)));
    expect([...routes].sort()).toEqual(['/v1/lists/:listId', 'unmatched', 'unrouted']);
  });

  it('logs the route pattern, never the path with its recipient id', () => {
    const lines: string[] = [];
    const middleware = requestContext(pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }), new Metrics('test'));
    serve(middleware, '/v1/recipients/jane.doe@example.org', 200, '/v1/recipients/:recipientId');
    serve(middleware, '/r/jane.doe@example.org', 404);
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).not.toContain('jane.doe');
    expect(JSON.parse(lines[0])).toMatchObject({ msg: 'request', route: '/v1/recipients/:recipientId', status: 200 });
  });
});
