import type { RecipientUpserted } from '@audx/contracts';
import { isEmail, isPhone, normalizeEmail, normalizePhone, sha256 } from '@audx/identifiers';

export const MAX_ATTRIBUTE_NAME = 100;
export const MAX_ATTRIBUTE_VALUE = 512;
export const MAX_ATTRIBUTES_JSON_BYTES = 65_535;

/**
 * The one rule for attribute names, shared by recipients, `attributes.<name>` reconciliation keys
 * and list queries: a name a recipient can store is a name a key or a query can reach.
 */
export const ATTRIBUTE_NAME = `[A-Za-z0-9_.-]{1,${MAX_ATTRIBUTE_NAME}}`;
const ATTRIBUTE_NAME_RE = new RegExp(`^${ATTRIBUTE_NAME}$`);

export function isAttributeName(name: string): boolean {
  return ATTRIBUTE_NAME_RE.test(name);
}

export interface AttributeRow {
  name: string;
  value: string;
  sha: Buffer;
}

/** A recipient ready to be written: every key normalised and hashed once, here. */
export interface RecipientRecord {
  recipientId: string;
  recipientIdSha: Buffer;
  email: string | null;
  emailSha: Buffer | null;
  crmId: string | null;
  crmIdSha: Buffer | null;
  phone: string | null;
  phoneSha: Buffer | null;
  blocklisted: boolean;
  attributesJson: string | null;
  attributes: AttributeRow[];
}

/** The form an attribute value is indexed, compared and hashed in. */
export function attributeText(value: string | number | boolean): string {
  return typeof value === 'string' ? value : String(value);
}

function blankToNull(v: string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  const t = v.trim();
  return t.length ? t : null;
}

/**
 * An upsert replaces the whole recipient: a field left out is cleared (blocklisted: false,
 * attributes: none). Returns the reason when a value cannot be a key.
 */
export function toRecipientRecord(input: RecipientUpserted): RecipientRecord | { error: string } {
  const recipientId = input.recipientId.trim();
  if (!recipientId) return { error: 'recipientId: must not be blank' };
  const rawEmail = blankToNull(input.email);
  const email = rawEmail === null ? null : normalizeEmail(rawEmail);
  if (email !== null && !isEmail(email)) return { error: 'email: not an email address' };
  const rawPhone = blankToNull(input.phone);
  const phone = rawPhone === null ? null : normalizePhone(rawPhone);
  if (phone !== null && !isPhone(phone)) return { error: 'phone: not a phone number' };
  const crmId = blankToNull(input.crmId);
  const attributes: AttributeRow[] = [];
  for (const [name, value] of Object.entries(input.attributes ?? {})) {
    if (!isAttributeName(name)) {
      return { error: `attributes: ${JSON.stringify(name.slice(0, MAX_ATTRIBUTE_NAME))} is not a valid name (1 to ${MAX_ATTRIBUTE_NAME} letters, digits, '_', '.' or '-')` };
    }
    if (value === null) continue;
    const text = attributeText(value);
    if (text.length > MAX_ATTRIBUTE_VALUE) return { error: `attributes.${name}: longer than ${MAX_ATTRIBUTE_VALUE} characters` };
    attributes.push({ name, value: text, sha: sha256(text) });
  }
  const attributesJson = input.attributes && Object.keys(input.attributes).length ? JSON.stringify(input.attributes) : null;
  // the row keeps them in a TEXT column: refused here, with the line, rather than cut or failing the batch
  if (attributesJson !== null && Buffer.byteLength(attributesJson) > MAX_ATTRIBUTES_JSON_BYTES) return { error: `attributes: longer than ${MAX_ATTRIBUTES_JSON_BYTES} bytes as JSON` };
  return {
    recipientId,
    recipientIdSha: sha256(recipientId),
    email,
    emailSha: email === null ? null : sha256(email),
    crmId,
    crmIdSha: crmId === null ? null : sha256(crmId),
    phone,
    phoneSha: phone === null ? null : sha256(phone),
    blocklisted: input.blocklisted ?? false,
    attributesJson,
    attributes,
  };
}
