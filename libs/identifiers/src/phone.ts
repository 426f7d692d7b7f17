/**
 * Phone numbers as one comparable string: separators (spaces, dots, dashes, parentheses, slashes)
 * dropped, an international `00` prefix turned into `+`. No country inference: `0600000001` and
 * `+33600000001` stay different, because guessing a country would match the wrong person.
 */
export function normalizePhone(raw: string): string {
  const compact = raw.trim().replace(/[\s().\-/]/g, '');
  return compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
}

const PHONE = /^\+?[0-9]{3,20}$/;

export function isPhone(normalized: string): boolean {
  return PHONE.test(normalized);
}
