import { Inject, Injectable } from '@nestjs/common';
import { MarketingActions, Topics } from '@audx/contracts';
import { APP_CONFIG, LOGGER, ServiceRuntime, StepTimer, holdForTest } from '@audx/platform';
import type { Logger } from 'pino';
import { AudiencesRepository } from '../audiences/audiences.repository';
import { audienceDisplayName, segmentSidOf } from '../audiences/audience-identity';
import { MembershipRepository } from '../audiences/membership.repository';
import { PublicationMetrics } from '../common/publication-metrics';
import { PublicationConfig, crashPoint } from '../config';
import { ExportsRepository } from '../exports/exports.repository';
import { exportViolations } from '../governance/export-gate';
import { PoliciesRepository } from '../governance/policies.repository';
import { OutboundFileWriter } from '../outbound/outbound-file-writer';
import { Section, intakeLine, outboundPlan, stampsFor } from '../outbound/outbound-plan';
import type { OutboundKind } from '../outbound/outbound-naming';
import { CrashHook } from './crash-hook';
import { FileClockRepository } from './file-clock.repository';
import { publishedEventId, resyncEventId } from './published-event-id';

export type PublishOutcome = 'published' | 'rejected' | 'superseded' | 'refused' | 'busy' | 'skipped';

/**
 * Turns an assembled export into the next version of its audience, in two transactions.
 *
 * 1. Claim (short): the governance gate (a violation rejects the export, nothing else happens);
 *    otherwise the audience is created or locked, and the version number, the file stamp and the
 *    file layout are fixed on the export (status `publishing`), with the audience marked busy.
 * 2. Publish (one transaction, under the audience lock): close removed members, open added
 *    ones (set-based), stream the outbound files from those rows (temp name, fsync, rename),
 *    then insert the version row, the `audience.published` outbox row and the export's result.
 *
 * A crash anywhere converges: before the claim commits nothing happened; after it, step 2 is
 * retried from the same committed state and writes the same file names with the same bytes
 * (everything they depend on was fixed by the claim); once step 2 commits, the outbox relay
 * publishes the event exactly as if there had been no crash. The version row's unique
 * (org, exportId) and the audience lock make a second version of one export impossible.
 */
@Injectable()
export class PublishExport {
  private readonly crash: CrashHook;

  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(APP_CONFIG) private readonly config: PublicationConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ExportsRepository) private readonly exports: ExportsRepository,
    @Inject(AudiencesRepository) private readonly audiences: AudiencesRepository,
    @Inject(MembershipRepository) private readonly membership: MembershipRepository,
    @Inject(PoliciesRepository) private readonly policies: PoliciesRepository,
    @Inject(FileClockRepository) private readonly clock: FileClockRepository,
    @Inject(OutboundFileWriter) private readonly files: OutboundFileWriter,
    @Inject(PublicationMetrics) private readonly metrics: PublicationMetrics,
  ) {
    this.crash = new CrashHook(crashPoint(config), config.PUBLICATION_CRASH_ORG);
  }

  async run(exportPk: number): Promise<PublishOutcome> {
    const claimed = await this.claim(exportPk);
    if (claimed !== 'publishing') return claimed;
    return this.publish(exportPk);
  }

  private async claim(exportPk: number): Promise<PublishOutcome | 'publishing'> {
    return this.runtime.transaction(async (manager, outbox) => {
      const e = await this.exports.lockByPk(manager, exportPk);
      if (!e) return 'skipped';
      if (e.status === 'publishing') return 'publishing';
      if (e.status !== 'assembled') return 'skipped';

      const enabled = await this.policies.enabledFor(e.orgId, MarketingActions.cloudExport, manager);
      const violations = exportViolations(enabled, e.labels, e.exportControls);
      if (violations.length > 0) {
        await this.exports.reject(manager, exportPk, violations);
        this.metrics.exports.inc({ outcome: 'rejected' });
        this.logger.info({ exportId: e.exportId, org: e.orgId, policies: violations.map((v) => v.name) }, 'export rejected by policy');
        return 'rejected';
      }

      const identity = { orgId: e.orgId, dataSource: e.dataSource, segmentId: e.segmentId, audienceName: e.audienceName, listId: e.listId };
      const audience = await this.audiences.upsertAndLock(manager, {
        ...identity,
        audienceId: e.audienceId,
        name: audienceDisplayName(identity),
        sid: segmentSidOf(e.audienceId, e.segmentId),
        dpid: e.dpid,
      });
      if (audience.pendingExportPk !== null && audience.pendingExportPk !== exportPk) return 'busy';
      if (e.sharedAt && audience.lastSharedAt && e.sharedAt < audience.lastSharedAt) {
        await this.exports.supersede(manager, exportPk, audience.lastSharedAt);
        this.metrics.exports.inc({ outcome: 'superseded' });
        this.logger.info({ exportId: e.exportId, audienceId: audience.audienceId }, 'export superseded by a later share');
        return 'superseded';
      }
      if (e.baseExportId !== null) {
        // a delta applies only on top of the version its base export produced
        const current = audience.currentVersion > 0 ? await this.audiences.exportOfVersion(manager, audience.audiencePk, audience.currentVersion) : null;
        if (current !== e.baseExportId) {
          await this.exports.refuseDelta(
            manager,
            exportPk,
            `resync_required: this delta applies to the result of export ${e.baseExportId}, but the audience is at version ${audience.currentVersion}${current ? ` from export ${current}` : ''}; a share of the whole list was requested`,
          );
          outbox.add(
            Topics.audienceResync,
            e.orgId,
            { exportId: e.exportId, audienceId: audience.audienceId, listId: e.listId, dataSource: e.dataSource, segmentId: e.segmentId, audienceName: e.audienceName, baseExportId: e.baseExportId, currentExportId: current },
            { id: resyncEventId(e.orgId, e.exportId), correlationId: e.exportId },
          );
          this.metrics.exports.inc({ outcome: 'resync_requested' });
          this.logger.warn({ exportId: e.exportId, audienceId: audience.audienceId, base: e.baseExportId, current }, 'delta refused: its base is not the current version; resync requested');
          return 'refused';
        }
      }
      const stamp = await this.clock.next(manager, e.orgId, e.dpid, Date.now(), stampsFor(e.mode));
      await this.exports.claim(manager, exportPk, {
        audiencePk: audience.audiencePk,
        version: audience.currentVersion + 1,
        stamp,
        maxLines: this.config.OUTBOUND_MAX_LINES,
        gzip: this.config.OUTBOUND_GZIP,
      });
      await this.audiences.setPending(manager, audience.audiencePk, exportPk, e.sharedAt);
      return 'publishing';
    });
  }

  private async publish(exportPk: number): Promise<PublishOutcome> {
    const claimed = await this.exports.byPk(exportPk);
    if (!claimed || claimed.audiencePk === null) return 'skipped';
    const audiencePk = claimed.audiencePk;
    const started = process.hrtime.bigint();
    const outcome = await this.runtime.transaction(async (manager, outbox): Promise<PublishOutcome> => {
      const audience = await this.audiences.lock(manager, audiencePk);
      // read after taking the lock: publishing -> published only ever happens under it
      const e = await this.exports.byPk(exportPk, manager);
      if (!e || e.status !== 'publishing' || audience.pendingExportPk !== exportPk) return 'skipped';
      const version = e.version!;
      if (audience.currentVersion !== version - 1) throw new Error(`export ${e.exportId} claimed version ${version} but the audience is at ${audience.currentVersion}`);

      const { NODE_ENV: nodeEnv, PUBLICATION_TEST_DELAY_MS: ms, PUBLICATION_TEST_DELAY_PREFIX: prefix } = this.config;
      await holdForTest({ nodeEnv, ms, prefix }, e.audienceName ?? '', this.logger, 'test delay: holding a publication transaction open');
      const laps = new StepTimer();
      const removed = e.baseExportId !== null ? await this.membership.closeListed(manager, audiencePk, exportPk, version) : await this.membership.closeRemoved(manager, audiencePk, exportPk, version);
      laps.lap('close');
      const added = await this.membership.openAdded(manager, audiencePk, exportPk, version);
      laps.lap('open');
      const size = audience.size - removed + added;
      const plan = outboundPlan(e.mode, { size, added, removed });
      const membership = this.membership;
      const sid = audience.sid;
      const { orgId, dpid } = e;
      async function* lines(sections: Section[], overwrite: boolean): AsyncGenerator<string[]> {
        for (const section of sections) {
          for await (const page of membership.section(manager, audiencePk, version, section)) {
            const held = overwrite ? await membership.otherCurrentSids(manager, orgId, dpid, audiencePk, page) : new Map<string, string[]>();
            yield page.map((id) => intakeLine(id, sid, section, held.get(id)));
          }
        }
      }
      // one batch of files per stamp: the plan's, then (a full share that lost members) the removals under the next stamp
      const batch = (stamp: number, kind: OutboundKind, totalLines: number, body: AsyncIterable<string[]>) =>
        this.files.write({ orgId: e.orgId, dpid: e.dpid, stamp, kind, gzip: e.outGzip!, maxLines: e.outMaxLines!, totalLines, lines: body });
      const written = await batch(e.stamp!, plan.kind, plan.lines, lines(plan.sections, plan.kind === 'overwrite'));
      const removals = plan.removals > 0 ? await batch(e.stamp! + 1, 'sync', plan.removals, lines(['removed'], false)) : { files: [], info: null };
      laps.lap('files');
      this.crash.at('files', e.orgId);

      await this.audiences.insertVersion(manager, {
        audiencePk,
        version,
        orgId: e.orgId,
        exportId: e.exportId,
        mode: e.mode,
        size,
        added,
        removed,
        stamp: e.stamp!,
        files: [...written.files, ...removals.files],
        infoFile: written.info?.fileName ?? null,
        removalInfoFile: removals.info?.fileName ?? null,
      });
      await this.audiences.completeVersion(manager, audiencePk, version, size);
      await this.exports.finish(manager, exportPk, { size, added, removed });
      outbox.add(
        Topics.audiencePublished,
        e.orgId,
        { audienceId: audience.audienceId, version, size, added, removed, files: [...written.files, ...removals.files] },
        { id: publishedEventId(e.orgId, audience.audienceId, version), correlationId: e.exportId },
      );
      this.metrics.publishedLines.inc(plan.lines + plan.removals);
      laps.lap('version');
      this.logger.info({ exportId: e.exportId, audienceId: audience.audienceId, version, size, added, removed, files: written.files.length, stepsMs: laps.laps }, 'audience version published');
      return 'published';
    });
    if (outcome === 'published') {
      this.crash.at('version', claimed.orgId);
      this.metrics.exports.inc({ outcome: 'published' });
      this.metrics.publishSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
    return outcome;
  }
}
