import { z } from 'zod';
import type { DatasourceChanged } from '@audx/contracts';
import { AesKey, aesKey } from '@audx/identifiers';
import { ATTRIBUTE_NAME } from '../recipients/recipient-record';

export const DEFAULT_DATA_SOURCE = 'defaultDataSource';
export const DATA_SOURCE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** `recipientId`, `email`, `crmId`, `phone` or `attributes.<name>` (domain.md). */
export const ReconciliationKeySchema = z
  .string()
  .regex(new RegExp(`^(recipientId|email|crmId|phone|attributes\\.${ATTRIBUTE_NAME})$`), 'must be recipientId, email, crmId, phone or attributes.<name>');

export type ReconciliationKey =
  | { kind: 'recipientId' }
  | { kind: 'email' }
  | { kind: 'crmId' }
  | { kind: 'phone' }
  | { kind: 'attribute'; name: string };

export function parseReconciliationKey(raw: string): ReconciliationKey {
  if (raw.startsWith('attributes.')) return { kind: 'attribute', name: raw.slice('attributes.'.length) };
  if (raw === 'recipientId' || raw === 'email' || raw === 'crmId' || raw === 'phone') return { kind: raw };
  throw new Error(`unknown reconciliation key ${raw}`);
}

export interface Encryption {
  keyHex: string;
  ivHex: string;
  channel: 'email' | 'sms' | 'other';
}

/** A data source as stored (the AES key included: it never leaves the service). */
export interface DataSourceRecord {
  orgId: string;
  name: string;
  label: string;
  kind: 'visitor' | 'declared';
  reconciliationKey: string | null;
  dpid: number;
  destinationId: number | null;
  alias: string | null;
  hash: 'none' | 'sha256';
  encryption: Encryption | null;
  priority: number;
  exportControls: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** How identifiers of a data source are matched; built once per import or export. */
export interface Matcher {
  kind: 'visitor' | 'declared';
  key: ReconciliationKey | null;
  hash: 'none' | 'sha256';
  aes: AesKey | null;
}

export function matcherOf(ds: DataSourceRecord): Matcher {
  return {
    kind: ds.kind,
    key: ds.kind === 'declared' && ds.reconciliationKey ? parseReconciliationKey(ds.reconciliationKey) : null,
    hash: ds.hash,
    aes: ds.encryption ? aesKey(ds.encryption.keyHex, ds.encryption.ivHex) : null,
  };
}

export function defaultDataSource(orgId: string, dpid: number, now = new Date()): DataSourceRecord {
  return {
    orgId,
    name: DEFAULT_DATA_SOURCE,
    label: 'Recipient - Visitor ID',
    kind: 'visitor',
    reconciliationKey: null,
    dpid,
    destinationId: null,
    alias: null,
    hash: 'none',
    encryption: null,
    priority: 0,
    exportControls: [],
    createdAt: now,
    updatedAt: now,
  };
}

/** The replicated record on `datasource.changed`: everything but the key material. */
export function changedPayload(ds: DataSourceRecord): DatasourceChanged {
  return {
    name: ds.name,
    record: {
      label: ds.label,
      kind: ds.kind,
      reconciliationKey: ds.reconciliationKey,
      dpid: ds.dpid,
      destinationId: ds.destinationId,
      alias: ds.alias,
      hash: ds.hash,
      encrypted: ds.encryption !== null,
      priority: ds.priority,
      exportControls: ds.exportControls,
    },
  };
}
