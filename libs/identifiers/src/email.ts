/** domain.md: trim, lowercase. The normalised form is what is stored, compared and hashed. */
export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Deliberately loose (one `@`, something on both sides, no whitespace): the campaign system owns deliverability. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function isEmail(normalized: string): boolean {
  return normalized.length <= 320 && EMAIL.test(normalized);
}
