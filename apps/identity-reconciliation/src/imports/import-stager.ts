import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { SegmentImported } from '@audx/contracts';
import type { OutboxWriter } from '@audx/messaging';
import { LOGGER } from '@audx/platform';
import { matcherOf } from '../data-sources/data-source';
import { DataSourcesService } from '../data-sources/data-sources.service';
import { ImportApplyRepository } from './import-apply.repository';
import { IdStatus, StagedId, planOf, resolution, stageIdentifier } from './match-plan';
import { ImportsRepository, StagedRow } from './imports.repository';

export type StageOutcome = 'staged' | 'ready' | 'duplicate';

/**
 * `segment.imported` chunks are staged here, one at a time, in the transaction of the consumer (a
 * one-chunk import) or of the ChunkExpander (the others). A chunk is staged once per (import, seq)
 * whatever its event id; identifiers are validated, decrypted, normalised and resolved to
 * recipients now, so that reconciliation overlaps with the upload and applying the import is pure
 * SQL (an expander falling behind leaves the resolution to the apply: IMPORT_RESOLVE_MAX_BACKLOG). Each identifier is resolved against the recipients known when
 * its chunk arrives, as if the import had been applied then; a recipient erased before the apply
 * leaves its pending matches with it (RecipientsService.eraseIn). The `last` chunk carries the totals (the
 * contract sends one without them to the dead-letter topic); when every chunk 0..totals.chunks-1 is
 * staged (in any arrival order) the import turns `ready` and the ImportApplier takes it.
 */
@Injectable()
export class ImportStager {
  constructor(
    @Inject(ImportsRepository) private readonly imports: ImportsRepository,
    @Inject(DataSourcesService) private readonly dataSources: DataSourcesService,
    @Inject(ImportApplyRepository) private readonly work: ImportApplyRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** `resolveNow`: resolve the chunk's identifiers now (false when the stager is behind: the apply does it). */
  async stage(manager: EntityManager, outbox: OutboxWriter, orgId: string, p: SegmentImported, resolveNow: boolean): Promise<StageOutcome> {
    const ds = await this.dataSources.resolve(manager, orgId, p.dataSource, outbox);
    const matcher = ds ? matcherOf(ds) : null;
    const imp = await this.imports.upsertAndLock(manager, orgId, p, planOf(matcher));
    if (imp.status !== 'staging') {
      // complete already (a redelivery), or abandoned: a late chunk must not revive half an import
      if (imp.status === 'abandoned') this.logger.warn({ importId: p.importId, seq: p.seq }, 'chunk of an abandoned import: ignored');
      return 'duplicate';
    }
    if (!(await this.imports.claimChunk(manager, imp.importPk, p.seq, p.members.length))) return 'duplicate';
    // one row per (identifier, segment): an add wins over a remove within the chunk; an identifier
    // without a usable op still gets a row, so that it is counted and reported
    const ids = new Map<string, StagedId>();
    const staged = new Map<string, StagedRow>();
    const referenced = new Set<string>();
    for (const m of p.members) {
      let id = ids.get(m.userId);
      if (!id) {
        id = stageIdentifier(m.userId, imp.plan, matcher);
        ids.set(m.userId, id);
      }
      const bare = `${id.userId}\u0000`;
      if (id.status !== IdStatus.pending || (m.add.length === 0 && m.remove.length === 0)) {
        if (!staged.has(bare)) staged.set(bare, { id, segmentId: null, op: null });
        continue;
      }
      for (const [list, op] of [
        [m.remove, 0],
        [m.add, 1],
      ] as const) {
        for (const segmentId of list) {
          referenced.add(segmentId);
          const key = `${id.userId}\u0000${segmentId}`;
          const prior = staged.get(key);
          if (!prior || (prior.op ?? -1) < op) staged.set(key, { id, segmentId, op });
        }
      }
    }
    await this.imports.stageRows(manager, imp.importPk, p.seq, [...staged.values()]);
    // resolved now, while the rest of the file is still arriving, unless the stager is behind
    if (resolveNow) {
      await this.work.resolveChunks(manager, imp.importPk, [p.seq], resolution(imp.plan, orgId, imp.importPk, [p.seq]));
    }
    const labelled = new Set(p.segments.map((s) => s.segmentId));
    await this.imports.stageSegments(
      manager,
      imp.importPk,
      p.segments,
      [...referenced].filter((s) => !labelled.has(s)),
    );
    return (await this.imports.markProgress(manager, imp.importPk, p.totals)) ? 'ready' : 'staged';
  }
}
