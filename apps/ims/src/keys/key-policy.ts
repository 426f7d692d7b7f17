/**
 * When keys sign and when they are published, as pure functions of the key times:
 * - a key is published (JWKS) from its creation;
 * - it signs from `activeFrom` until the next key becomes active (the latest active key signs);
 * - once replaced, it stays published until the last token it signed has expired (+ grace);
 * - rotation is due when the newest key is older than `maxAgeMs` and no key is waiting to activate;
 *   the new key activates `leadMs` after its creation, so guards fetch it before they meet it.
 */
export interface KeyTimes {
  kid: string;
  createdAt: number;
  activeFrom: number;
}

export interface KeyPolicy {
  tokenTtlMs: number;
  maxAgeMs: number;
  leadMs: number;
  /** Clock skew and verifier tolerance on top of the token lifetime. */
  graceMs: number;
}

export function byActivation<K extends KeyTimes>(keys: readonly K[]): K[] {
  return [...keys].sort((a, b) => a.activeFrom - b.activeFrom || a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
}

/** The key that signs at `now`: the latest one already active. */
export function signingKeyAt<K extends KeyTimes>(keys: readonly K[], now: number): K | undefined {
  return byActivation(keys)
    .filter((k) => k.activeFrom <= now)
    .pop();
}

/** When `key` stopped signing (the next key's activation), or undefined while it still signs or waits. */
export function replacedAt<K extends KeyTimes>(keys: readonly K[], key: K, now: number): number | undefined {
  const sorted = byActivation(keys);
  const next = sorted[sorted.indexOf(key) + 1];
  return next && next.activeFrom <= now ? next.activeFrom : undefined;
}

export function publishedAt<K extends KeyTimes>(keys: readonly K[], now: number, policy: KeyPolicy): K[] {
  return byActivation(keys).filter((k) => {
    const replaced = replacedAt(keys, k, now);
    return replaced === undefined || now < replaced + policy.tokenTtlMs + policy.graceMs;
  });
}

export function rotationDue(keys: readonly KeyTimes[], now: number, policy: KeyPolicy): boolean {
  if (keys.length === 0) return true;
  if (keys.some((k) => k.activeFrom > now)) return false;
  const newest = Math.max(...keys.map((k) => k.createdAt));
  return now - newest >= policy.maxAgeMs;
}

/** Keys out of the JWKS for more than a day: nothing can use them any more. */
export function prunable<K extends KeyTimes>(keys: readonly K[], now: number, policy: KeyPolicy): K[] {
  const day = 86_400_000;
  return keys.filter((k) => {
    const replaced = replacedAt(keys, k, now);
    return replaced !== undefined && now >= replaced + policy.tokenTtlMs + policy.graceMs + day;
  });
}
