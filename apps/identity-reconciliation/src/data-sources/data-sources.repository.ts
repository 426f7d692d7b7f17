import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AtRestCipher } from '@audx/persistence';
import { affected, rows, toJsonArray } from '../common/sql';
import type { DataSourceRecord } from './data-source';

interface Row {
  org_id: string;
  name: string;
  label: string;
  kind: 'visitor' | 'declared';
  reconciliation_key: string | null;
  dpid: string | number;
  destination_id: string | number | null;
  alias: string | null;
  hash: 'none' | 'sha256';
  /** Written before keys were sealed; sealed and cleared at boot (sealPlainKeys). */
  encryption_key_hex: string | null;
  encryption_key_sealed: string | null;
  encryption_iv_hex: string | null;
  encryption_channel: 'email' | 'sms' | 'other' | null;
  priority: number;
  export_controls: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'org_id, name, label, kind, reconciliation_key, dpid, destination_id, alias, hash, encryption_key_hex, encryption_key_sealed, encryption_iv_hex, encryption_channel, priority, export_controls, created_at, updated_at';

/** The cipher that seals data sources' AES keys at rest. */
export const DATA_SOURCE_KEY_CIPHER = Symbol('DATA_SOURCE_KEY_CIPHER');

/** Data sources of an org, keyed by (org_id, name); AES keys stored sealed, bound to their row. */
@Injectable()
export class DataSourcesRepository {
  constructor(@Inject(DATA_SOURCE_KEY_CIPHER) private readonly cipher: AtRestCipher) {}

  async find(manager: EntityManager, orgId: string, name: string, lock = false): Promise<DataSourceRecord | null> {
    const found = await rows<Row>(manager, `SELECT ${COLUMNS} FROM data_sources WHERE org_id = ? AND name = ?${lock ? ' FOR UPDATE' : ''}`, [orgId, name]);
    return found.length ? this.toRecord(found[0]) : null;
  }

  async page(manager: EntityManager, orgId: string, after: string | null, limit: number): Promise<DataSourceRecord[]> {
    const found = await rows<Row>(
      manager,
      `SELECT ${COLUMNS} FROM data_sources WHERE org_id = ?${after !== null ? ' AND name > ?' : ''} ORDER BY name LIMIT ?`,
      after !== null ? [orgId, after, limit] : [orgId, limit],
    );
    return found.map((r) => this.toRecord(r));
  }

  async remove(manager: EntityManager, orgId: string, name: string): Promise<void> {
    await manager.query('DELETE FROM data_sources WHERE org_id = ? AND name = ?', [orgId, name]);
  }

  /**
   * What still uses a data source: lists imported through it, shares made or asked for through it
   * (their audiences), imports through it not applied yet. One example id of each, for the answer.
   */
  async usage(manager: EntityManager, orgId: string, name: string): Promise<{ what: string; count: number; example: string }[]> {
    const uses = [
      { what: 'lists', sql: 'SELECT COUNT(*) AS n, MIN(list_id) AS example FROM lists WHERE org_id = ? AND data_source = ?' },
      { what: 'shares (audiences)', sql: 'SELECT COUNT(*) AS n, MIN(export_id) AS example FROM exports WHERE org_id = ? AND data_source = ?' },
      {
        what: 'share requests',
        sql: "SELECT COUNT(*) AS n, MIN(export_id) AS example FROM share_requests WHERE org_id = ? AND JSON_UNQUOTE(JSON_EXTRACT(body, '$.dataSource')) = ? AND failed_reason IS NULL",
      },
      { what: 'imports in progress', sql: "SELECT COUNT(*) AS n, MIN(import_id) AS example FROM imports WHERE org_id = ? AND data_source = ? AND status IN ('staging', 'ready')" },
    ];
    const found: { what: string; count: number; example: string }[] = [];
    for (const use of uses) {
      const [r] = await rows<{ n: string; example: string | null }>(manager, use.sql, [orgId, name]);
      if (Number(r.n) > 0) found.push({ what: use.what, count: Number(r.n), example: r.example ?? '' });
    }
    return found;
  }

  /** Inserts or replaces; `insertOnly` inserts when absent and answers whether it did. */
  async save(manager: EntityManager, ds: DataSourceRecord, insertOnly = false): Promise<boolean> {
    const values = [
      ds.orgId,
      ds.name,
      ds.label,
      ds.kind,
      ds.reconciliationKey,
      ds.dpid,
      ds.destinationId,
      ds.alias,
      ds.hash,
      null,
      ds.encryption ? this.cipher.encrypt(ds.encryption.keyHex.toLowerCase(), sealContext(ds.orgId, ds.name)) : null,
      ds.encryption?.ivHex.toLowerCase() ?? null,
      ds.encryption?.channel ?? null,
      ds.priority,
      JSON.stringify(ds.exportControls),
      ds.createdAt,
      ds.updatedAt,
    ];
    const sql = `INSERT ${insertOnly ? 'IGNORE ' : ''}INTO data_sources (${COLUMNS}) VALUES (${values.map(() => '?').join(',')})`;
    const update = insertOnly
      ? ''
      : ` ON DUPLICATE KEY UPDATE label = VALUES(label), kind = VALUES(kind), reconciliation_key = VALUES(reconciliation_key), dpid = VALUES(dpid),
          destination_id = VALUES(destination_id), alias = VALUES(alias), hash = VALUES(hash), encryption_key_hex = VALUES(encryption_key_hex), encryption_key_sealed = VALUES(encryption_key_sealed),
          encryption_iv_hex = VALUES(encryption_iv_hex), encryption_channel = VALUES(encryption_channel), priority = VALUES(priority),
          export_controls = VALUES(export_controls), updated_at = VALUES(updated_at)`;
    return affected(await manager.query(sql + update, values)) > 0;
  }

  /** Seals keys of rows written before sealing existed; answers how many it sealed. */
  async sealPlainKeys(manager: EntityManager): Promise<number> {
    const plain = await rows<Pick<Row, 'org_id' | 'name' | 'encryption_key_hex'>>(
      manager,
      'SELECT org_id, name, encryption_key_hex FROM data_sources WHERE encryption_key_hex IS NOT NULL FOR UPDATE',
    );
    for (const r of plain) {
      const sealed = this.cipher.encrypt(String(r.encryption_key_hex).toLowerCase(), sealContext(r.org_id, r.name));
      await manager.query('UPDATE data_sources SET encryption_key_sealed = ?, encryption_key_hex = NULL WHERE org_id = ? AND name = ?', [sealed, r.org_id, r.name]);
    }
    return plain.length;
  }

  private toRecord(r: Row): DataSourceRecord {
    const keyHex = r.encryption_key_sealed ? this.cipher.decrypt(r.encryption_key_sealed, sealContext(r.org_id, r.name)) : r.encryption_key_hex;
    return toRecord(r, keyHex);
  }
}

/** A sealed key opens only on the row it was written for. */
const sealContext = (orgId: string, name: string) => `data_sources/${orgId}/${name}`;

function toRecord(r: Row, keyHex: string | null): DataSourceRecord {
  return {
    orgId: r.org_id,
    name: r.name,
    label: r.label,
    kind: r.kind,
    reconciliationKey: r.reconciliation_key,
    dpid: Number(r.dpid),
    destinationId: r.destination_id === null ? null : Number(r.destination_id),
    alias: r.alias,
    hash: r.hash,
    encryption:
      keyHex && r.encryption_iv_hex ? { keyHex, ivHex: r.encryption_iv_hex, channel: r.encryption_channel ?? 'other' } : null,
    priority: Number(r.priority),
    exportControls: toJsonArray(r.export_controls),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}
