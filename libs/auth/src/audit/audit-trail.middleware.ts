import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { recordAudit } from '@audx/messaging';
import { LOGGER } from '@audx/platform';
import type { AuthContext } from '../claims';

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Records every call that may change state (POST, PUT, PATCH, DELETE) of an authenticated caller,
 * once answered: org, client id, the route (the action), the path (the target), the status and the
 * request id. Refusals are recorded too: "who tried to change this" is part of the answer. A
 * failure to record is logged, never turned into the caller's failure.
 */
@Injectable()
export class AuditTrailMiddleware implements NestMiddleware {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  use(req: Request & { auth?: AuthContext; id?: string }, res: Response, next: NextFunction): void {
    if (CHANGES.has(req.method)) {
      res.on('finish', () => {
        const auth = req.auth;
        if (!auth?.orgId) return; // refused before anyone was identified, or the operator acting on no org
        const route = (req.route?.path as string | undefined) ?? req.path;
        const entry = { orgId: auth.orgId, actor: auth.clientId, action: `${req.method} ${route}`, target: req.path, detail: { status: res.statusCode, requestId: req.id ?? null } };
        recordAudit(this.dataSource.manager, [entry]).catch((err: unknown) => this.logger.warn({ err: String(err), action: entry.action }, 'audit entry not recorded'));
      });
    }
    next();
  }
}
