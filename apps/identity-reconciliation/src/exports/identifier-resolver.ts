import type { EntityManager } from 'typeorm';
import { aesEncrypt } from '@audx/identifiers';
import type { Matcher } from '../data-sources/data-source';
import { placeholders, rows } from '../common/sql';

export interface MemberRow {
  rid: string;
  recipient_id: string;
  blocklisted: number;
  key_text: string | null;
  key_hash: Buffer | null;
}

const COLUMN = { recipientId: 'recipient_id', email: 'email', crmId: 'crm_id', phone: 'phone' } as const;

/**
 * The select list that carries each member's key (plain and hashed) for a declared data source
 * keyed on a recipient column; visitor and attribute keys are looked up per page instead.
 */
export function memberKeyColumns(matcher: Matcher): string {
  if (matcher.kind === 'declared' && matcher.key && matcher.key.kind !== 'attribute') {
    const c = COLUMN[matcher.key.kind];
    return `r.${c} AS key_text, r.${c}_sha256 AS key_hash`;
  }
  return 'NULL AS key_text, NULL AS key_hash';
}

/**
 * The identifiers of one page of members, by rid: all of a recipient's visitor IDs (those that
 * resolve to it now) for a visitor data source; the key's value, hashed and/or encrypted as
 * configured, for a declared one.
 */
export async function identifiersOf(manager: EntityManager, orgId: string, matcher: Matcher, page: MemberRow[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (page.length === 0) return out;
  if (matcher.kind === 'visitor' || !matcher.key) {
    const byRecipient = new Map(page.map((m) => [m.recipient_id, m.rid]));
    const ids = [...byRecipient.keys()];
    const found = await rows<{ recipient_id: string; visitor_id: string }>(
      manager,
      `SELECT recipient_id, visitor_id FROM visitors WHERE org_id = ? AND recipient_id IN (${placeholders(ids.length)}) ORDER BY recipient_id, visitor_id`,
      [orgId, ...ids],
    );
    for (const f of found) {
      const rid = byRecipient.get(f.recipient_id)!;
      const linked = out.get(rid);
      if (linked) linked.push(f.visitor_id);
      else out.set(rid, [f.visitor_id]);
    }
    return out;
  }
  let keyed: { rid: string; text: string; hash: Buffer | null }[];
  if (matcher.key.kind === 'attribute') {
    const rids = page.map((m) => m.rid);
    const found = await rows<{ rid: string; value: string; value_sha256: Buffer }>(
      manager,
      `SELECT rid, value, value_sha256 FROM recipient_attributes WHERE rid IN (${placeholders(rids.length)}) AND name = ?`,
      [...rids, matcher.key.name],
    );
    keyed = found.map((f) => ({ rid: String(f.rid), text: f.value, hash: f.value_sha256 }));
  } else {
    keyed = page.filter((m) => m.key_text !== null).map((m) => ({ rid: String(m.rid), text: m.key_text!, hash: m.key_hash }));
  }
  for (const k of keyed) {
    let value = matcher.hash === 'sha256' ? (k.hash ? Buffer.from(k.hash).toString('hex') : null) : k.text;
    if (value === null) continue;
    if (matcher.aes) value = aesEncrypt(value, matcher.aes);
    out.set(k.rid, [value]);
  }
  return out;
}

/** How to read a member's identifiers in SQL: a join from `recipients r`, and the identifier expression. */
export interface IdentifierSql {
  join: string;
  params: unknown[];
  expr: string;
}

/**
 * The set-based form of `identifiersOf`, or null when identifiers need Node (AES encryption):
 * the same identifiers, hashed as the data source says (lowercase hex of the stored SHA-256).
 */
export function identifierSql(orgId: string, matcher: Matcher): IdentifierSql | null {
  if (matcher.kind === 'visitor' || !matcher.key) {
    return {
      join: 'JOIN visitors v ON v.org_id = ? AND v.recipient_id = r.recipient_id',
      params: [orgId],
      expr: 'v.visitor_id',
    };
  }
  if (matcher.aes) return null;
  if (matcher.key.kind === 'attribute') {
    const expr = matcher.hash === 'sha256' ? 'LOWER(HEX(a.value_sha256))' : 'a.value';
    return {
      join: 'JOIN recipient_attributes a ON a.rid = r.rid AND a.name = ?',
      params: [matcher.key.name],
      expr,
    };
  }
  const c = COLUMN[matcher.key.kind];
  const expr = matcher.hash === 'sha256' ? `LOWER(HEX(r.${c}_sha256))` : `r.${c}`;
  return { join: '', params: [], expr };
}
