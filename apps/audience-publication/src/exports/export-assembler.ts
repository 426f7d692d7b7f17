import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { Envelope, ListExported, OrgIdSchema } from '@audx/contracts';
import { APP_CONFIG, LOGGER, holdForTest } from '@audx/platform';
import type { PublicationConfig } from '../config';
import { audienceIdOf } from '../audiences/audience-identity';
import { isWritableIdentifier } from '../outbound/outbound-plan';
import { ExportsRepository } from './exports.repository';

export type ChunkOutcome = 'staged' | 'duplicate' | 'assembled' | 'late' | 'failed';

/**
 * Assembles `list.exported` chunks into an export, inside the consumer's transaction. A chunk is
 * identified by (org, exportId, seq), not by its event id, so a re-published chunk is a no-op;
 * chunks of one export are applied under a lock on the export row, in any order; the export is
 * assembled exactly once, by the transaction that holds chunk seq 0..totals.chunks-1.
 */
@Injectable()
export class ExportAssembler {
  constructor(
    @Inject(ExportsRepository) private readonly exports: ExportsRepository,
    @Inject(APP_CONFIG) private readonly config: PublicationConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async accept(manager: EntityManager, envelope: Envelope<ListExported>): Promise<ChunkOutcome> {
    const { orgId, payload: p } = envelope;
    // Errors thrown here are about the message itself: retried, then dead-lettered with the reason.
    if (!OrgIdSchema.safeParse(orgId).success) throw new Error('list.exported: orgId is not an IMS org id');
    if (p.last && !p.totals) throw new Error('list.exported: the last chunk carries no totals');
    if (p.last && p.totals && p.seq !== p.totals.chunks - 1) throw new Error(`list.exported: last chunk has seq ${p.seq} but totals.chunks is ${p.totals.chunks}`);

    const { NODE_ENV: nodeEnv, PUBLICATION_STAGE_TEST_DELAY_MS: ms, PUBLICATION_STAGE_TEST_DELAY_PREFIX: prefix } = this.config;
    await holdForTest({ nodeEnv, ms, prefix }, p.audienceName ?? '', this.logger, 'test delay: holding a chunk staging open');
    const audienceId = audienceIdOf({ orgId, dataSource: p.dataSource, segmentId: p.segmentId, audienceName: p.audienceName, listId: p.listId });
    await this.exports.ensure(manager, { orgId, audienceId, payload: p });
    const e = await this.exports.lock(manager, orgId, p.exportId);
    if (!(await this.exports.addChunk(manager, e.exportPk, p.seq, envelope.id, p.identifiers.length, p.last))) return 'duplicate';
    if (e.status !== 'receiving') return 'late';

    if (p.last && p.totals && e.chunks !== null && e.chunks !== p.totals.chunks) {
      await this.exports.markFailed(manager, e.exportPk, `conflicting totals: ${e.chunks} then ${p.totals.chunks} chunks`);
      return 'failed';
    }
    const writable = p.identifiers.filter(isWritableIdentifier);
    // a delta also names what left; an identifier that could not be written was never published either
    const leaving = (p.removedIdentifiers ?? []).filter(isWritableIdentifier);
    const staged = (await this.exports.stage(manager, e.exportPk, writable)) + (await this.exports.stage(manager, e.exportPk, leaving, true));
    await this.exports.countChunk(manager, e.exportPk, staged, p.identifiers.length - writable.length);

    let chunks = e.chunks;
    if (p.last && p.totals) {
      await this.exports.setTotals(manager, e.exportPk, p.totals);
      chunks = p.totals.chunks;
    }
    if (chunks === null) return 'staged';
    const stats = await this.exports.chunkStats(manager, e.exportPk);
    if (stats.maxSeq >= chunks) {
      await this.exports.markFailed(manager, e.exportPk, `a chunk has seq ${stats.maxSeq}, beyond totals.chunks ${chunks}`);
      return 'failed';
    }
    // seqs are unique and below `chunks`: `chunks` of them means every one of 0..chunks-1
    if (stats.count < chunks) return 'staged';
    return (await this.exports.markAssembled(manager, e.exportPk)) ? 'assembled' : 'staged';
  }
}
