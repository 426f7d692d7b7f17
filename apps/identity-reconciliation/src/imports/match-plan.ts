import { aesDecrypt, isEmail, isPhone, isVisitorId, normalizeEmail, normalizePhone, parseSha256Hex, sha256 } from '@audx/identifiers';
import type { Matcher } from '../data-sources/data-source';
import { type KeyedColumn, recipientKeySql } from '../recipients/recipient-key';

/** Staged identifier states (import_rows.status). */
export const IdStatus = { pending: 0, invalid: 2, undecryptable: 3, unknownDataSource: 4 } as const;
export type IdStatus = (typeof IdStatus)[keyof typeof IdStatus];

export const UNMATCHED_REASON: Record<number, string> = {
  [IdStatus.pending]: 'not_found',
  [IdStatus.invalid]: 'invalid',
  [IdStatus.undecryptable]: 'undecryptable',
  [IdStatus.unknownDataSource]: 'unknown_data_source',
};

export const MAX_USER_ID = 255;
const MAX_KEY = 512;

/**
 * How an import's identifiers are matched, fixed when its first chunk is staged so that every
 * chunk and the final join agree even if the data source is edited meanwhile.
 */
export type MatchPlan =
  | { target: 'visitor' }
  | { target: 'recipientId' | 'email' | 'crmId' | 'phone'; hashed: boolean; encrypted: boolean }
  | { target: 'attribute'; name: string; hashed: boolean; encrypted: boolean }
  | { target: 'none' };

export function planOf(matcher: Matcher | null): MatchPlan {
  if (!matcher) return { target: 'none' };
  if (matcher.kind === 'visitor' || !matcher.key) return { target: 'visitor' };
  const hashed = matcher.hash === 'sha256';
  const encrypted = matcher.aes !== null;
  return matcher.key.kind === 'attribute' ? { target: 'attribute', name: matcher.key.name, hashed, encrypted } : { target: matcher.key.kind, hashed, encrypted };
}

export interface StagedId {
  userId: string;
  status: IdStatus;
  keyText: string | null;
  keyHash: Buffer | null;
}

/**
 * Turns one incoming identifier into what is joined on: a visitor ID as is (38 digits); a declared
 * ID decrypted (AES-CBC) when the data source encrypts, then the SHA-256 digest it carries (hash
 * sha256) or the SHA-256 of the key's normalised value (emails trimmed and lowercased, phones
 * compacted): recipients index each key by its SHA-256 only.
 */
export function stageIdentifier(userId: string, plan: MatchPlan, matcher: Matcher | null): StagedId {
  const invalid = (): StagedId => ({ userId: userId.slice(0, MAX_USER_ID), status: IdStatus.invalid, keyText: null, keyHash: null });
  if (plan.target === 'none') return { userId: userId.slice(0, MAX_USER_ID), status: IdStatus.unknownDataSource, keyText: null, keyHash: null };
  if (userId.length > MAX_USER_ID) return invalid();
  if (plan.target === 'visitor') return isVisitorId(userId) ? { userId, status: IdStatus.pending, keyText: userId, keyHash: null } : invalid();
  let value = userId.trim();
  if (value.length === 0) return invalid();
  if (plan.encrypted) {
    const plain = matcher?.aes ? aesDecrypt(value, matcher.aes) : null;
    if (plain === null) return { userId, status: IdStatus.undecryptable, keyText: null, keyHash: null };
    value = plain.trim();
  }
  if (plan.hashed) {
    const digest = parseSha256Hex(value);
    return digest ? { userId, status: IdStatus.pending, keyText: null, keyHash: digest } : invalid();
  }
  if (plan.target === 'email') {
    value = normalizeEmail(value);
    if (!isEmail(value)) return invalid();
  } else if (plan.target === 'phone') {
    value = normalizePhone(value);
    if (!isPhone(value)) return invalid();
  }
  if (value.length === 0 || value.length > MAX_KEY) return invalid();
  // plain values are looked up through the SHA-256 index of the same normalised form
  return { userId, status: IdStatus.pending, keyText: null, keyHash: sha256(value) };
}

const COLUMN = { recipientId: 'recipient_id', email: 'email', crmId: 'crm_id', phone: 'phone' } as const;

/** One statement of an import's identifier resolution; `ifAffected` runs only when it changed rows. */
export interface ResolutionStep {
  sql: string;
  params: unknown[];
  ifAffected?: ResolutionStep[];
}

/**
 * The statements that resolve an import's staged rows into `t_match (rid, seq, n, segment op)`, rid 0 for
 * an identifier nothing matched (LEFT JOINs). Keys are looked up in key order: they are sorted
 * into `t_keys` first (and, for visitor IDs, the recipient ids their links give are sorted again
 * into `t_rkeys`), because probing an index in arrival order (random, for hashes and ECIDs)
 * misses the buffer pool on nearly every probe once the index outgrows it. Column names come
 * from this table, never from input. Null when nothing can match (unknown data source).
 */
export function resolutionSteps(plan: MatchPlan, orgId: string, importPk: string): ResolutionStep[] | null {
  // sorted by recipient (the key of t_match) after the join, which probes in the driving table's key order
  const toMatch = (join: string) =>
    `INSERT IGNORE INTO t_match (rid, seq, n, segment_id, op) SELECT COALESCE(r.rid, 0), s.seq, s.n, s.segment_id, s.op FROM ${join} ORDER BY 1, 2, 3`;
  switch (plan.target) {
    case 'none':
      return null;
    case 'visitor':
      return [
        { sql: 'INSERT INTO t_keys (seq, n, key_text, segment_id, op) SELECT seq, n, key_text, segment_id, op FROM import_rows WHERE import_pk = ? AND status = 0 ORDER BY key_text', params: [importPk] },
        {
          sql: `INSERT INTO t_rkeys (seq, n, recipient_id, segment_id, op) SELECT s.seq, s.n, v.recipient_id, s.segment_id, s.op
                FROM t_keys s LEFT JOIN visitors v ON v.org_id = ? AND v.visitor_id = s.key_text ORDER BY v.recipient_id`,
          params: [orgId],
        },
        { sql: toMatch('t_rkeys s LEFT JOIN recipients r ON r.org_id = ? AND r.recipient_id = s.recipient_id'), params: [orgId] },
      ];
    case 'attribute':
      return [
        {
          sql: 'INSERT INTO t_keys (seq, n, key_hash, segment_id, op) SELECT seq, n, key_hash, segment_id, op FROM import_rows WHERE import_pk = ? AND status = 0 ORDER BY key_hash',
          params: [importPk],
        },
        { sql: toMatch('t_keys s LEFT JOIN recipient_attributes r ON r.org_id = ? AND r.name = ? AND r.value_sha256 = s.key_hash'), params: [orgId, plan.name] },
      ];
    default:
      return recipientKeySteps(COLUMN[plan.target], orgId, importPk);
  }
}

/**
 * A SHA-256 key of recipients, through its 8-byte lookup key (recipient-key.ts): candidates from
 * the small index in key order, then each candidate's org and full digest checked on its row in
 * rid order (a sequential pass, where checking during the probe would read rows at random). A
 * candidate that fails the check (a key collision) is dropped, and an identifier left without
 * any candidate is added back as unmatched.
 */
function recipientKeySteps(column: KeyedColumn, orgId: string, importPk: string): ResolutionStep[] {
  return [
    {
      sql: `INSERT INTO t_keys (seq, n, key_hash, key_k, segment_id, op)
            SELECT seq, n, key_hash, ${recipientKeySql('?', 'key_hash')}, segment_id, op FROM import_rows WHERE import_pk = ? AND status = 0 ORDER BY 4`,
      params: [orgId, importPk],
    },
    {
      sql: `INSERT IGNORE INTO t_match (rid, seq, n, segment_id, op, key_hash)
            SELECT COALESCE(r.rid, 0), s.seq, s.n, s.segment_id, s.op, s.key_hash FROM t_keys s LEFT JOIN recipients r ON r.${column}_k = s.key_k ORDER BY 1, 2, 3`,
      params: [],
    },
    {
      sql: `DELETE m FROM t_match m JOIN recipients r ON r.rid = m.rid WHERE r.org_id <> ? OR NOT (r.${column}_sha256 <=> m.key_hash)`,
      params: [orgId],
      ifAffected: [
        { sql: 'ALTER TABLE t_match ADD KEY k_row (seq, n)', params: [] },
        { sql: 'UPDATE t_keys s JOIN t_match m ON m.seq = s.seq AND m.n = s.n SET s.hit = 1', params: [] },
        { sql: 'INSERT INTO t_match (rid, seq, n, segment_id, op) SELECT 0, seq, n, segment_id, op FROM t_keys WHERE hit = 0', params: [] },
      ],
    },
  ];
}
