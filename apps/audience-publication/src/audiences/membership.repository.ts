import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { affectedRows } from '../common/sql';
import { OPEN_VERSION, Section } from '../outbound/outbound-plan';

/**
 * Members of every kept version of an audience, as intervals: a row (identifier, from, to) is a
 * member of versions from .. to-1, and to = OPEN_VERSION while it still is. Publishing version V
 * closes the rows whose identifier left (to = V) and opens rows for the new ones (from = V):
 * work proportional to the delta, not to the audience. The delta is computed set-based in SQL
 * against the export's staged identifiers.
 */
@Injectable()
export class MembershipRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Members of the previous version that are not in the export: removed in `version`. */
  async closeRemoved(manager: EntityManager, audiencePk: number, exportPk: number, version: number): Promise<number> {
    const r = await manager.query(
      `UPDATE audience_members m
         LEFT JOIN export_identifiers s ON s.export_pk = ? AND s.identifier = m.identifier AND s.removed = 0
          SET m.to_version = ?
        WHERE m.audience_pk = ? AND m.to_version = ? AND s.identifier IS NULL`,
      [exportPk, version, audiencePk, OPEN_VERSION],
    );
    return affectedRows(r);
  }

  /** Identifiers of the export that are not current members: added in `version`. */
  async openAdded(manager: EntityManager, audiencePk: number, exportPk: number, version: number): Promise<number> {
    const r = await manager.query(
      `INSERT INTO audience_members (audience_pk, identifier, from_version, to_version)
       SELECT ?, s.identifier, ?, ?
         FROM export_identifiers s
         LEFT JOIN audience_members m ON m.audience_pk = ? AND m.identifier = s.identifier AND m.to_version = ?
        WHERE s.export_pk = ? AND s.removed = 0 AND m.identifier IS NULL`,
      [audiencePk, version, OPEN_VERSION, audiencePk, OPEN_VERSION, exportPk],
    );
    return affectedRows(r);
  }

  /** A delta export: the current members it names as removed leave in `version` (work proportional to the delta). */
  async closeListed(manager: EntityManager, audiencePk: number, exportPk: number, version: number): Promise<number> {
    const r = await manager.query(
      `UPDATE audience_members m
         JOIN export_identifiers s ON s.export_pk = ? AND s.removed = 1 AND s.identifier = m.identifier
          SET m.to_version = ?
        WHERE m.audience_pk = ? AND m.to_version = ?`,
      [exportPk, version, audiencePk, OPEN_VERSION],
    );
    return affectedRows(r);
  }

  /**
   * One page of a section of version `version`, in identifier order after `after`: the identifiers
   * added in it, removed in it, or all its members (`current`, only while it is the latest version).
   */
  async sectionPage(manager: EntityManager, audiencePk: number, version: number, section: Section, after: string, limit: number): Promise<string[]> {
    const where = section === 'added' ? 'from_version = ?' : 'to_version = ?';
    const value = section === 'current' ? OPEN_VERSION : version;
    const rows: { identifier: string }[] = await manager.query(
      `SELECT identifier FROM audience_members WHERE audience_pk = ? AND ${where} AND identifier > ? ORDER BY identifier LIMIT ?`,
      [audiencePk, value, after, limit],
    );
    return rows.map((r) => r.identifier);
  }

  /**
   * For each identifier, the segment ids (sids) it currently holds in the org's other audiences of
   * the same DPID: an `.overwrite` line replaces *all* of a user's memberships for the data source,
   * so it must repeat them or it would remove the user from those audiences.
   */
  async otherCurrentSids(manager: EntityManager, orgId: string, dpid: number, audiencePk: number, identifiers: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (identifiers.length === 0) return out;
    const rows: { identifier: string; sid: string }[] = await manager.query(
      `SELECT m.identifier, a.sid FROM audiences a
         JOIN audience_members m ON m.audience_pk = a.audience_pk AND m.to_version = ? AND m.identifier IN (${identifiers.map(() => '?').join(',')})
        WHERE a.org_id = ? AND a.dpid = ? AND a.audience_pk <> ?`,
      [OPEN_VERSION, ...identifiers, orgId, dpid, audiencePk],
    );
    for (const r of rows) {
      const sids = out.get(r.identifier) ?? [];
      if (!sids.includes(r.sid)) sids.push(r.sid);
      out.set(r.identifier, sids);
    }
    return out;
  }

  /** Streams a section in pages of `pageSize` identifiers (keyset paging: memory stays flat). */
  async *section(manager: EntityManager, audiencePk: number, version: number, section: Section, pageSize = 10_000): AsyncGenerator<string[]> {
    let after = '';
    for (;;) {
      const page = await this.sectionPage(manager, audiencePk, version, section, after, pageSize);
      if (page.length === 0) return;
      yield page;
      if (page.length < pageSize) return;
      after = page[page.length - 1];
    }
  }

  /** Members of any kept version, in identifier order after `after`. */
  async membersAt(audiencePk: number, version: number, after: string | null, limit: number): Promise<string[]> {
    const rows: { identifier: string }[] = await this.dataSource.query(
      `SELECT identifier FROM audience_members
        WHERE audience_pk = ? AND identifier > ? AND from_version <= ? AND to_version > ?
        ORDER BY identifier LIMIT ?`,
      [audiencePk, after ?? '', version, version, limit],
    );
    return rows.map((r) => r.identifier);
  }

  /** Deletes rows that serve no version from `oldestKept` on, in batches; returns how many. */
  async prune(audiencePk: number, oldestKept: number, batch = 10_000): Promise<number> {
    let total = 0;
    for (;;) {
      const n = affectedRows(await this.dataSource.query('DELETE FROM audience_members WHERE audience_pk = ? AND to_version <= ? LIMIT ?', [audiencePk, oldestKept, batch]));
      total += n;
      if (n < batch) return total;
    }
  }
}
