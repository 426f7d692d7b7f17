/** An Experience Cloud ID: exactly 38 decimal digits, kept as a string (leading zeros matter). */
export const VISITOR_ID = /^[0-9]{38}$/;

export function isVisitorId(value: string): boolean {
  return VISITOR_ID.test(value);
}
