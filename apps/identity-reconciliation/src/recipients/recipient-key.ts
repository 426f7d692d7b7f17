import { createHash } from 'node:crypto';

/**
 * The 8-byte lookup key of a recipient's SHA-256 key (recipient id, email, CRM id, phone): the
 * digest's first 8 bytes XOR the first 8 bytes of SHA-256(org id). The org is in the key, so an
 * index on the key alone is org-scoped and about a quarter of the size of (org_id, digest): the
 * indexes of 1M recipients fit the default 128 MiB buffer pool, where a random insert or probe
 * into a bigger index reads a page from disk. A digest is already uniform, so the XOR keeps keys
 * uniform at no hashing cost per recipient. A key only finds candidates: every lookup compares
 * the org and the full digest on the row (see match-plan.ts), so a collision never matches.
 */
export function recipientKey(orgId: string, digest: Buffer): Buffer {
  const mask = orgMask(orgId);
  const key = Buffer.allocUnsafe(8);
  for (let i = 0; i < 8; i++) key[i] = digest[i] ^ mask[i];
  return key;
}

/** The same key in SQL, over an org expression and a digest expression (the migration, the import join). */
export function recipientKeySql(orgExpr: string, digestExpr: string): string {
  const prefix = `CAST(CONV(HEX(LEFT(${digestExpr}, 8)), 16, 10) AS UNSIGNED)`;
  const mask = `CAST(CONV(LEFT(SHA2(${orgExpr}, 256), 16), 16, 10) AS UNSIGNED)`;
  return `UNHEX(LPAD(HEX(${prefix} ^ ${mask}), 16, '0'))`;
}

/** Recipient columns with a SHA-256 digest and the lookup key beside it. */
export const KEYED_COLUMNS = ['recipient_id', 'email', 'crm_id', 'phone'] as const;
export type KeyedColumn = (typeof KEYED_COLUMNS)[number];

const masks = new Map<string, Buffer>();

function orgMask(orgId: string): Buffer {
  let mask = masks.get(orgId);
  if (!mask) {
    if (masks.size >= 10_000) masks.clear();
    mask = createHash('sha256').update(orgId, 'utf8').digest().subarray(0, 8);
    masks.set(orgId, mask);
  }
  return mask;
}
