import type { SegmentImported } from '@audx/contracts';
import { CHUNK_BUDGET_BYTES } from '@audx/messaging';
import type { MemberLine } from '../parsing/formats';
import { cutChunks } from './chunk-cutter';

/** What every chunk of an import repeats. */
export interface ChunkHeader {
  importId: string;
  sequence: number;
  dataSource: string;
  mode: 'iter' | 'full';
}

/**
 * The one way an import's members become `segment.imported` chunks, whatever they came from (a
 * file upload, the drop folder, the membership stream): batch by batch, in order, numbered from 0,
 * each within the byte budget that fits a broker left at its default message size; a chunk names
 * the segments its members use, and the last one (at least one, even with no members) names every
 * segment of the import and carries the totals.
 */
export class ChunkBuilder {
  private seq = 0;
  private membersSent = 0;
  private readonly segments = new Set<string>();

  constructor(
    private readonly header: ChunkHeader,
    private readonly labelsOf: (segmentId: string) => string[],
    private readonly budget = CHUNK_BUDGET_BYTES,
  ) {}

  /** Chunks built so far. */
  get chunks(): number {
    return this.seq;
  }

  /** The chunks of the next batch of members; with `last`, the import's final ones. */
  build(members: readonly MemberLine[], last: boolean, invalidIds: number): SegmentImported[] {
    if (members.length === 0 && !last) return [];
    for (const m of members) for (const s of [...m.add, ...m.remove]) this.segments.add(s);
    const tail = last ? this.named(this.segments) : [];
    const groups = cutChunks(members, this.budget, last ? Buffer.byteLength(JSON.stringify(tail)) : 0);
    const out: SegmentImported[] = [];
    for (let g = 0; g < groups.length; g++) {
      const part = groups[g];
      const isLast = last && g === groups.length - 1;
      if (part.length === 0 && !isLast) continue;
      out.push({
        ...this.header,
        seq: this.seq,
        last: isLast,
        segments: isLast ? tail : this.named(new Set(part.flatMap((m) => [...m.add, ...m.remove]))),
        members: part,
        ...(isLast ? { totals: { chunks: this.seq + 1, members: this.membersSent + part.length, invalidIds } } : {}),
      });
      this.seq++;
      this.membersSent += part.length;
    }
    return out;
  }

  private named(ids: Iterable<string>): { segmentId: string; labels: string[] }[] {
    return [...ids].map((segmentId) => ({ segmentId, labels: this.labelsOf(segmentId) }));
  }
}
