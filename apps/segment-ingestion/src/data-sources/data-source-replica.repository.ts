import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG } from '@audx/platform';
import type { IngestionConfig } from '../config';

export interface KnownDataSource {
  name: string;
  kind: 'visitor' | 'declared';
  dpid: number;
}

export const DEFAULT_DATA_SOURCE = 'defaultDataSource';

/** What ingestion knows of identity-reconciliation's data sources (replicated from datasource.changed). */
@Injectable()
export class DataSourceReplica {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: IngestionConfig,
  ) {}

  async upsert(manager: EntityManager, orgId: string, ds: KnownDataSource, priority: number): Promise<void> {
    await manager.query(
      'INSERT INTO data_source_replica (org_id, name, kind, dpid, priority) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE kind = VALUES(kind), dpid = VALUES(dpid), priority = VALUES(priority)',
      [orgId, ds.name, ds.kind, ds.dpid, priority],
    );
  }

  async remove(manager: EntityManager, orgId: string, name: string): Promise<void> {
    await manager.query('DELETE FROM data_source_replica WHERE org_id = ? AND name = ?', [orgId, name]);
  }

  async find(orgId: string, name: string): Promise<KnownDataSource | null> {
    const rows: { name: string; kind: 'visitor' | 'declared'; dpid: number }[] = await this.db.query(
      'SELECT name, kind, dpid FROM data_source_replica WHERE org_id = ? AND name = ?',
      [orgId, name],
    );
    if (rows[0]) return { name: rows[0].name, kind: rows[0].kind, dpid: Number(rows[0].dpid) };
    return name === DEFAULT_DATA_SOURCE ? { name, kind: 'visitor', dpid: this.config.DEFAULT_DPID } : null;
  }

  async findByDpid(orgId: string, dpid: number): Promise<KnownDataSource | null> {
    const rows: { name: string; kind: 'visitor' | 'declared'; dpid: number }[] = await this.db.query(
      // the highest priority takes a DPID several data sources share; the name settles a tie
      'SELECT name, kind, dpid FROM data_source_replica WHERE org_id = ? AND dpid = ? ORDER BY priority DESC, name LIMIT 1',
      [orgId, dpid],
    );
    if (rows[0]) return { name: rows[0].name, kind: rows[0].kind, dpid: Number(rows[0].dpid) };
    return dpid === this.config.DEFAULT_DPID ? { name: DEFAULT_DATA_SOURCE, kind: 'visitor', dpid } : null;
  }
}
