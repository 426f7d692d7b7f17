import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export interface SegmentView {
  segmentId: string;
  name: string;
  labels: string[];
  updatedAt: string;
}

@Injectable()
export class SegmentsRepository {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async upsert(manager: EntityManager, orgId: string, segmentId: string, name: string, labels: string[]): Promise<void> {
    await manager.query(
      'INSERT INTO segments (org_id, segment_id, name, labels) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE name = VALUES(name), labels = VALUES(labels)',
      [orgId, segmentId, name, JSON.stringify(labels)],
    );
  }

  /**
   * The last import accepted so far (any org). Locked to the end of the index: an import accepted
   * meanwhile waits for this transaction, so it reads the labels stored now.
   */
  async lastImportSequence(manager: EntityManager): Promise<number> {
    const [row] = (await manager.query('SELECT seq FROM imports ORDER BY seq DESC LIMIT 1 FOR UPDATE')) as { seq: string | number }[];
    return Number(row?.seq ?? 0);
  }

  async find(orgId: string, segmentId: string): Promise<SegmentView | null> {
    const rows = await this.db.query('SELECT * FROM segments WHERE org_id = ? AND segment_id = ?', [orgId, segmentId]);
    return rows.length ? toView(rows[0]) : null;
  }

  async list(orgId: string, afterId: string | null, limit: number): Promise<SegmentView[]> {
    const rows = await this.db.query(
      'SELECT * FROM segments WHERE org_id = ? AND segment_id > ? ORDER BY segment_id LIMIT ?',
      [orgId, afterId ?? '', limit],
    );
    return rows.map(toView);
  }

  /** Labels of the given segments (unknown segments carry none). */
  async labelsOf(orgId: string, segmentIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(segmentIds.map((id) => [id, []]));
    if (segmentIds.length === 0) return out;
    const rows: { segment_id: string; labels: string }[] = await this.db.query(
      `SELECT segment_id, labels FROM segments WHERE org_id = ? AND segment_id IN (${segmentIds.map(() => '?').join(',')})`,
      [orgId, ...segmentIds],
    );
    for (const r of rows) out.set(r.segment_id, JSON.parse(r.labels) as string[]);
    return out;
  }
}

function toView(r: { segment_id: string; name: string; labels: string; updated_at: Date }): SegmentView {
  return { segmentId: r.segment_id, name: r.name, labels: JSON.parse(r.labels) as string[], updatedAt: new Date(r.updated_at).toISOString() };
}
