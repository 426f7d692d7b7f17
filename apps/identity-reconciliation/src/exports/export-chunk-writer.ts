import type { EntityManager } from 'typeorm';
import { ListExported, Topics, digestUuid } from '@audx/contracts';
import { CHUNK_BUDGET_BYTES, buildMessage } from '@audx/messaging';
import type { ExportsRepository } from './exports.repository';

export type ChunkHeader = Omit<ListExported, 'seq' | 'last' | 'identifiers' | 'removedIdentifiers' | 'totals'>;
export type ChunkTotals = Omit<NonNullable<ListExported['totals']>, 'chunks'>;

/** A chunk's event id is derived from (org, export, seq): a re-sent chunk is the same event. */
export function exportChunkEventId(orgId: string, exportId: string, seq: number): string {
  return digestUuid(`${orgId}/${exportId}/${seq}`, '5');
}

/**
 * Cuts a share's identifiers into `list.exported` chunks, by count and by bytes (a chunk stays far
 * below a broker's default 1 MiB message limit), and snapshots each one as it fills. A delta
 * share (its header names a base) carries added and removed identifiers side by side.
 */
export class ExportChunkWriter {
  private added: string[] = [];
  private removed: string[] = [];
  private bytes = 0;
  private seq = 0;
  readonly counts = { added: 0, removed: 0 };

  constructor(
    private readonly manager: EntityManager,
    private readonly exports: ExportsRepository,
    private readonly orgId: string,
    private readonly header: ChunkHeader,
    private readonly maxIdentifiers: number,
    private readonly maxBytes = CHUNK_BUDGET_BYTES,
  ) {}

  async add(identifier: string, removed = false): Promise<void> {
    const size = Buffer.byteLength(identifier) + 3;
    const held = this.added.length + this.removed.length;
    if (held >= this.maxIdentifiers || (held > 0 && this.bytes + size > this.maxBytes)) await this.emit(false);
    (removed ? this.removed : this.added).push(identifier);
    this.counts[removed ? 'removed' : 'added']++;
    this.bytes += size;
  }

  /** Writes the last chunk, with the totals; returns how many chunks the share has. */
  async finish(totals: ChunkTotals): Promise<number> {
    await this.emit(true, totals);
    return this.seq;
  }

  private async emit(last: boolean, totals?: ChunkTotals): Promise<void> {
    const seq = this.seq;
    const payload: ListExported = {
      ...this.header,
      seq,
      last,
      identifiers: this.added,
      ...(this.header.base ? { removedIdentifiers: this.removed } : {}),
      ...(last && totals ? { totals: { ...totals, chunks: seq + 1 } } : {}),
    };
    const message = buildMessage('identity-reconciliation', Topics.listExported, this.orgId, payload, { id: exportChunkEventId(this.orgId, this.header.exportId, seq) });
    await this.exports.insertChunk(this.manager, {
      orgId: this.orgId,
      exportId: this.header.exportId,
      seq,
      eventId: message.envelope.id,
      key: message.key,
      value: JSON.stringify(message.envelope),
    });
    this.seq++;
    this.added = [];
    this.removed = [];
    this.bytes = 0;
  }
}
