import { createHash } from 'node:crypto';

/**
 * The 8-byte lookup key of a recipient's SHA-256 key (recipient id, email, CRM id, phone): the
 * first 8 bytes of SHA-256(org id, 0x00, digest). The org is inside the hash, so an index on the
 * key alone is org-scoped and about a quarter of the size of (org_id, digest): the indexes of 1M
 * recipients fit the default 128 MiB buffer pool, where a random insert or probe into a bigger
 * index reads a page from disk. A key only finds candidates: every lookup compares the full
 * digest and the org on the row (see match-plan.ts), so a collision can never match.
 */
export function recipientKey(orgId: string, digest: Buffer): Buffer {
  return createHash('sha256').update(orgId, 'utf8').update(Buffer.of(0)).update(digest).digest().subarray(0, 8);
}

/** The same key in SQL, over an org expression and a digest expression (the migration, the import join). */
export function recipientKeySql(orgExpr: string, digestExpr: string): string {
  return `UNHEX(LEFT(SHA2(CONCAT(CAST(${orgExpr} AS BINARY), X'00', ${digestExpr}), 256), 16))`;
}

/** Recipient columns with a SHA-256 digest and the lookup key beside it. */
export const KEYED_COLUMNS = ['recipient_id', 'email', 'crm_id', 'phone'] as const;
export type KeyedColumn = (typeof KEYED_COLUMNS)[number];
