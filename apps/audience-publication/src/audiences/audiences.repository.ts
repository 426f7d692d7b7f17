import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { affectedRows } from '../common/sql';
import { AudienceRow, VersionRow, toAudienceRow, toVersionRow } from './audience.row';

export interface AudienceUpsert {
  orgId: string;
  audienceId: string;
  name: string;
  dataSource: string;
  segmentId: string | null;
  audienceName: string | null;
  sid: string;
  dpid: number;
}

export type NewVersion = Omit<VersionRow, 'publishedAt'>;

/** Audiences and their versions. SQL only. */
@Injectable()
export class AudiencesRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Creates the audience if needed (name and DPID follow the latest share) and locks it. */
  async upsertAndLock(manager: EntityManager, a: AudienceUpsert): Promise<AudienceRow> {
    await manager.query(
      `INSERT INTO audiences (org_id, audience_id, name, data_source, segment_id, audience_name, sid, dpid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE name = VALUES(name), audience_name = VALUES(audience_name), dpid = VALUES(dpid)`,
      [a.orgId, a.audienceId, a.name, a.dataSource, a.segmentId, a.audienceName, a.sid, a.dpid],
    );
    const rows: Record<string, unknown>[] = await manager.query('SELECT * FROM audiences WHERE org_id = ? AND audience_id = ? FOR UPDATE', [a.orgId, a.audienceId]);
    return toAudienceRow(rows[0]);
  }

  /** Locks the audience: every change of its versions happens under this lock. */
  async lock(manager: EntityManager, audiencePk: number): Promise<AudienceRow> {
    const rows: Record<string, unknown>[] = await manager.query('SELECT * FROM audiences WHERE audience_pk = ? FOR UPDATE', [audiencePk]);
    return toAudienceRow(rows[0]);
  }

  /** The export that produced a version of the audience (null when there is no such version). */
  async exportOfVersion(manager: EntityManager, audiencePk: number, version: number): Promise<string | null> {
    const rows: { export_id: string }[] = await manager.query('SELECT export_id FROM audience_versions WHERE audience_pk = ? AND version = ?', [audiencePk, version]);
    return rows[0]?.export_id ?? null;
  }

  async setPending(manager: EntityManager, audiencePk: number, exportPk: number, sharedAt: string | null): Promise<void> {
    await manager.query('UPDATE audiences SET pending_export_pk = ?, last_shared_at = COALESCE(?, last_shared_at) WHERE audience_pk = ?', [
      exportPk,
      sharedAt ? new Date(sharedAt) : null,
      audiencePk,
    ]);
  }

  async completeVersion(manager: EntityManager, audiencePk: number, version: number, size: number): Promise<void> {
    await manager.query('UPDATE audiences SET current_version = ?, size = ?, pending_export_pk = NULL, updated_at = CURRENT_TIMESTAMP(3) WHERE audience_pk = ?', [
      version,
      size,
      audiencePk,
    ]);
  }

  async insertVersion(manager: EntityManager, v: NewVersion): Promise<void> {
    await manager.query(
      `INSERT INTO audience_versions (audience_pk, version, org_id, export_id, mode, size, added, removed, stamp, files, info_file, removal_info_file, published_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP(3))`,
      [v.audiencePk, v.version, v.orgId, v.exportId, v.mode, v.size, v.added, v.removed, v.stamp, JSON.stringify(v.files), v.infoFile, v.removalInfoFile],
    );
  }

  /** Published audiences of an org, by audience id, after `after`. */
  async page(orgId: string, after: string | null, limit: number): Promise<AudienceRow[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT * FROM audiences WHERE org_id = ? AND current_version > 0 AND audience_id > ? ORDER BY audience_id LIMIT ?',
      [orgId, after ?? '', limit],
    );
    return rows.map(toAudienceRow);
  }

  async find(orgId: string, audienceId: string): Promise<AudienceRow | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query('SELECT * FROM audiences WHERE org_id = ? AND audience_id = ? AND current_version > 0', [
      orgId,
      audienceId,
    ]);
    return rows.length ? toAudienceRow(rows[0]) : null;
  }

  /** Kept versions, newest first, below `before` when given. */
  async versions(audiencePk: number, before: number | null, limit: number): Promise<VersionRow[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT * FROM audience_versions WHERE audience_pk = ? AND version < ? ORDER BY version DESC LIMIT ?',
      [audiencePk, before ?? 2147483647, limit],
    );
    return rows.map(toVersionRow);
  }

  async version(audiencePk: number, version: number): Promise<VersionRow | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query('SELECT * FROM audience_versions WHERE audience_pk = ? AND version = ?', [audiencePk, version]);
    return rows.length ? toVersionRow(rows[0]) : null;
  }

  /** Audiences holding more than `keep` versions (a prune interrupted by a crash, or a lowered setting). */
  async withExcessVersions(keep: number, limit: number): Promise<{ orgId: string; audiencePk: number; currentVersion: number }[]> {
    const rows: { org_id: string; audience_pk: string; current_version: string }[] = await this.dataSource.query(
      `SELECT a.org_id, a.audience_pk, a.current_version FROM audiences a
        WHERE EXISTS (SELECT 1 FROM audience_versions v WHERE v.audience_pk = a.audience_pk AND v.version <= a.current_version - ?)
        LIMIT ?`,
      [keep, limit],
    );
    return rows.map((r) => ({ orgId: r.org_id, audiencePk: Number(r.audience_pk), currentVersion: Number(r.current_version) }));
  }

  async versionsOlderThan(audiencePk: number, version: number): Promise<VersionRow[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query('SELECT * FROM audience_versions WHERE audience_pk = ? AND version < ? ORDER BY version', [
      audiencePk,
      version,
    ]);
    return rows.map(toVersionRow);
  }

  async deleteVersion(audiencePk: number, version: number): Promise<boolean> {
    return affectedRows(await this.dataSource.query('DELETE FROM audience_versions WHERE audience_pk = ? AND version = ?', [audiencePk, version])) === 1;
  }
}
