import { z } from 'zod';
import { normalizeEmail, normalizePhone, sha256 } from '@audx/identifiers';
import { recipientKey } from '../recipients/recipient-key';
import { ATTRIBUTE_NAME, attributeText } from '../recipients/recipient-record';

const Scalar = z.union([z.string().max(512), z.number().finite(), z.boolean()]);
const Field = z
  .string()
  .regex(new RegExp(`^(recipientId|email|crmId|phone|blocklisted|attributes\\.${ATTRIBUTE_NAME})$`), 'recipientId, email, crmId, phone, blocklisted or attributes.<name>');

const Condition = z.union([
  z.object({ field: Field, eq: Scalar }).strict(),
  z.object({ field: Field, in: z.array(Scalar).min(1).max(1000) }).strict(),
  z.object({ field: Field, exists: z.boolean() }).strict(),
]);
export type ListCondition = z.infer<typeof Condition>;

/** `{"all": [{"field": "attributes.tier", "eq": "gold"}, {"field": "email", "exists": true}, {"field": "crmId", "in": ["a", "b"]}]}` */
export const ListQuerySchema = z.object({ all: z.array(Condition).min(1).max(20) }).strict();
export type ListQuery = z.infer<typeof ListQuerySchema>;

const COLUMNS = { recipientId: 'r.recipient_id', email: 'r.email', crmId: 'r.crm_id', phone: 'r.phone' } as const;
/**
 * Equality goes through the indexed lookup key of the normalised value's SHA-256, then the digest
 * itself on the row (recipientId has its own unique index).
 */
const HASHED = { email: 'r.email', crmId: 'r.crm_id', phone: 'r.phone' } as const;
type ColumnField = keyof typeof COLUMNS;

function normalise(field: ColumnField, value: string | number | boolean): string {
  const text = attributeText(value);
  switch (field) {
    case 'email':
      return normalizeEmail(text);
    case 'phone':
      return normalizePhone(text);
    default:
      return text.trim();
  }
}

/**
 * The WHERE clause (over `recipients r`) of a list query and its parameters. Every value is a
 * parameter; column names come from a fixed table; attribute conditions use the attribute index.
 */
export function compileListQuery(query: ListQuery, orgId: string): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  for (const c of query.all) {
    if (c.field.startsWith('attributes.')) {
      const name = c.field.slice('attributes.'.length);
      if ('exists' in c) {
        clauses.push(`${c.exists ? '' : 'NOT '}EXISTS (SELECT 1 FROM recipient_attributes a WHERE a.rid = r.rid AND a.name = ?)`);
        params.push(name);
      } else {
        const values = 'eq' in c ? [c.eq] : c.in;
        clauses.push(`r.rid IN (SELECT a.rid FROM recipient_attributes a WHERE a.org_id = ? AND a.name = ? AND a.value_sha256 IN (${values.map(() => '?').join(',')}))`);
        params.push(orgId, name, ...values.map((v) => sha256(attributeText(v))));
      }
      continue;
    }
    if (c.field === 'blocklisted') {
      if ('exists' in c) {
        clauses.push(c.exists ? '1 = 1' : '1 = 0');
      } else {
        const values = 'eq' in c ? [c.eq] : c.in;
        clauses.push(`r.blocklisted IN (${values.map(() => '?').join(',')})`);
        params.push(...values.map((v) => (v === true || v === 'true' || v === 1 ? 1 : 0)));
      }
      continue;
    }
    const field = c.field as ColumnField;
    const column = COLUMNS[field];
    if ('exists' in c) {
      clauses.push(`${column} IS ${c.exists ? 'NOT ' : ''}NULL`);
    } else {
      const values = 'eq' in c ? [c.eq] : c.in;
      if (field === 'recipientId') {
        clauses.push(`${column} IN (${values.map(() => '?').join(',')})`);
        params.push(...values.map((v) => normalise(field, v)));
      } else {
        const digests = values.map((v) => sha256(normalise(field, v)));
        const list = digests.map(() => '?').join(',');
        clauses.push(`${HASHED[field]}_k IN (${list}) AND ${HASHED[field]}_sha256 IN (${list})`);
        params.push(...digests.map((d) => recipientKey(orgId, d)), ...digests);
      }
    }
  }
  return { where: clauses.map((c) => `(${c})`).join(' AND '), params };
}
