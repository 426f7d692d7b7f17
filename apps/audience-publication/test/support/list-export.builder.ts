import type { ListExported } from '@audx/contracts';

/** 38-digit visitor ids (ECIDs) n .. m-1, as identity-reconciliation exports them. */
export function visitorIds(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `7${String(from + i).padStart(37, '0')}`);
}

/**
 * Builds the `list.exported` chunks identity-reconciliation would publish for one share:
 * seq 0..n-1, `last` and the totals on the final chunk.
 */
export class ListExportBuilder {
  private p: Omit<ListExported, 'seq' | 'last' | 'identifiers' | 'totals'>;
  private ids: string[] = [];
  private gone: string[] | null = null;
  private chunkSize = 1000;
  private extra = { complement: 0, blocked: 0 };

  private constructor(exportId: string) {
    this.p = { exportId, listId: `lst_${exportId}`, dataSource: 'defaultDataSource', segmentId: '24', audienceName: null, mode: 'incremental', labels: [], exportControls: [], dpid: 5001 };
  }

  static share(exportId: string): ListExportBuilder {
    return new ListExportBuilder(exportId);
  }

  list(listId: string): this {
    this.p.listId = listId;
    return this;
  }

  segment(segmentId: string | null, audienceName: string | null = null): this {
    this.p.segmentId = segmentId;
    this.p.audienceName = audienceName;
    return this;
  }

  dataSource(name: string, dpid: number, exportControls: string[] = []): this {
    this.p.dataSource = name;
    this.p.dpid = dpid;
    this.p.exportControls = exportControls;
    return this;
  }

  full(): this {
    this.p.mode = 'full';
    return this;
  }

  labels(...labels: string[]): this {
    this.p.labels = labels;
    return this;
  }

  identifiers(ids: string[]): this {
    this.ids = ids;
    return this;
  }

  /** A delta on top of `baseExportId`: `identifiers` are the added ones, `removed` those that left. */
  delta(baseExportId: string, removed: string[]): this {
    this.p.base = { exportId: baseExportId };
    this.gone = removed;
    return this;
  }

  sharedAt(at: Date): this {
    this.p.sharedAt = at.toISOString();
    return this;
  }

  chunksOf(size: number): this {
    this.chunkSize = size;
    return this;
  }

  leftOut(complement: number, blocked: number): this {
    this.extra = { complement, blocked };
    return this;
  }

  build(): ListExported[] {
    const chunks: string[][] = [];
    for (let i = 0; i < this.ids.length; i += this.chunkSize) chunks.push(this.ids.slice(i, i + this.chunkSize));
    if (chunks.length === 0) chunks.push([]);
    if (this.gone) {
      // a delta: the removals ride on the last chunk
      const gone = this.gone;
      return chunks.map((identifiers, seq) => {
        const last = seq === chunks.length - 1;
        const totals = { chunks: chunks.length, members: 0, withIdentifier: 0, complement: 0, blocked: 0, identifiers: 0, added: this.ids.length, removed: gone.length };
        return { ...this.p, seq, last, identifiers, removedIdentifiers: last ? gone : [], ...(last ? { totals } : {}) };
      });
    }
    const totals = {
      chunks: chunks.length,
      members: this.ids.length + this.extra.complement + this.extra.blocked,
      withIdentifier: this.ids.length,
      complement: this.extra.complement,
      blocked: this.extra.blocked,
      identifiers: this.ids.length,
    };
    return chunks.map((identifiers, seq) => ({ ...this.p, seq, last: seq === chunks.length - 1, identifiers, ...(seq === chunks.length - 1 ? { totals } : {}) }));
  }
}
