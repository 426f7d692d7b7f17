import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Errors, LOGGER, ServiceRuntime } from '@audx/platform';
import { AudiencesRepository } from '../audiences/audiences.repository';
import { ExportQueueSignal } from '../exports/export-queue.signal';
import { ExportsRepository } from '../exports/exports.repository';

/**
 * `POST /v1/audiences/{audienceId}/rollback {"toVersion": N}`: a new version whose members are
 * version N's. Made as an export of this service (`rollback-<uuid>`), staged with version N's
 * members in one transaction and published by the publisher like any other: the export gate
 * judges it, its files carry the delta from the current version (d_sid / d_unsid), and
 * `GET /v1/exports/{exportId}` follows it. identity-reconciliation's next incremental share of the
 * audience no longer applies to the current version: publication refuses it and asks for a full
 * one (the resync), so the audience converges on the list again.
 */
@Injectable()
export class RollbackAudience {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(AudiencesRepository) private readonly audiences: AudiencesRepository,
    @Inject(ExportsRepository) private readonly exports: ExportsRepository,
    @Inject(ExportQueueSignal) private readonly signal: ExportQueueSignal,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(orgId: string, audienceId: string, toVersion: number): Promise<{ exportId: string }> {
    const found = await this.audiences.find(orgId, audienceId);
    if (!found) throw Errors.notFound('audience');
    const exportId = `rollback-${randomUUID()}`;
    await this.runtime.transaction(async (manager) => {
      // locked: a publication of the audience finishing meanwhile is seen, and no version is pruned under us
      const audience = await this.audiences.lock(manager, found.audiencePk);
      const current = audience.currentVersion;
      if (toVersion === current) throw Errors.conflict(`the audience is at version ${toVersion} already`);
      if (toVersion > current) throw Errors.conflict(`the audience has no version ${toVersion}: it is at version ${current}`);
      if (!(await this.audiences.exportOfVersion(manager, audience.audiencePk, toVersion))) {
        throw Errors.conflict(`version ${toVersion} was pruned (an audience keeps its latest versions only): it cannot be rolled back to`);
      }
      const latestId = await this.audiences.exportOfVersion(manager, audience.audiencePk, current);
      const latest = latestId ? await this.exports.find(orgId, latestId) : null;
      if (!latest) throw Errors.conflict(`the export of version ${current} is no longer known; share the list again instead`);
      await this.exports.addRollback(manager, { exportId, like: latest, audiencePk: audience.audiencePk, toVersion });
    });
    this.signal.assembled();
    this.logger.info({ orgId, audienceId, toVersion, exportId }, 'audience rollback asked for');
    return { exportId };
  }
}
