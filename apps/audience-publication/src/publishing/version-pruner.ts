import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, LOGGER } from '@audx/platform';
import type { Logger } from 'pino';
import { versionFileNames } from '../audiences/audience.row';
import { AudiencesRepository } from '../audiences/audiences.repository';
import { MembershipRepository } from '../audiences/membership.repository';
import type { PublicationConfig } from '../config';
import { OutboundFileWriter } from '../outbound/outbound-file-writer';
import { oldestKept } from '../outbound/outbound-plan';

/**
 * Keeps the last AUDIENCE_KEEP_VERSIONS versions of an audience. For each older version: its files
 * are removed first, then the membership rows no kept version needs, then the version row last,
 * so an interrupted prune is simply done again after the next publication.
 */
@Injectable()
export class VersionPruner {
  constructor(
    @Inject(APP_CONFIG) private readonly config: PublicationConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(AudiencesRepository) private readonly audiences: AudiencesRepository,
    @Inject(MembershipRepository) private readonly membership: MembershipRepository,
    @Inject(OutboundFileWriter) private readonly files: OutboundFileWriter,
  ) {}

  /** Prunes audiences a publication did not (the process died between its commit and its prune). */
  async sweep(limit = 20): Promise<number> {
    let pruned = 0;
    for (const a of await this.audiences.withExcessVersions(this.config.AUDIENCE_KEEP_VERSIONS, limit)) pruned += await this.prune(a.orgId, a.audiencePk, a.currentVersion);
    return pruned;
  }

  async prune(orgId: string, audiencePk: number, currentVersion: number): Promise<number> {
    const oldest = oldestKept(currentVersion, this.config.AUDIENCE_KEEP_VERSIONS);
    const old = await this.audiences.versionsOlderThan(audiencePk, oldest);
    for (const v of old) await this.files.remove(orgId, versionFileNames(v));
    const rows = await this.membership.prune(audiencePk, oldest);
    for (const v of old) await this.audiences.deleteVersion(audiencePk, v.version);
    if (old.length > 0) this.logger.info({ audiencePk, pruned: old.map((v) => v.version), memberRows: rows }, 'old audience versions pruned');
    return old.length;
  }
}
