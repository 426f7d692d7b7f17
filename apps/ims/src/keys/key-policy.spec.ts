import { KeyPolicy, prunable, publishedAt, rotationDue, signingKeyAt } from './key-policy';

const H = 3_600_000;
const policy: KeyPolicy = { tokenTtlMs: 24 * H, maxAgeMs: 30 * 24 * H, leadMs: H / 4, graceMs: 120_000 };
const key = (kid: string, createdAt: number, activeFrom = createdAt) => ({ kid, createdAt, activeFrom });

describe('key policy', () => {
  const a = key('a', 0);
  const b = key('b', 100 * H, 100 * H + policy.leadMs);

  it('signs with the latest active key, never a pending one', () => {
    expect(signingKeyAt([a, b], 100 * H)?.kid).toBe('a');
    expect(signingKeyAt([b, a], 100 * H + policy.leadMs)?.kid).toBe('b');
    expect(signingKeyAt([b], 100 * H)).toBeUndefined();
  });

  it('publishes the next key before it signs and keeps the old one until its last token expired', () => {
    expect(publishedAt([a, b], 100 * H, policy).map((k) => k.kid)).toEqual(['a', 'b']);
    const replaced = b.activeFrom;
    expect(publishedAt([a, b], replaced + policy.tokenTtlMs, policy).map((k) => k.kid)).toEqual(['a', 'b']);
    expect(publishedAt([a, b], replaced + policy.tokenTtlMs + policy.graceMs, policy).map((k) => k.kid)).toEqual(['b']);
  });

  it('is due for rotation once the newest key is older than the maximum age and none is pending', () => {
    expect(rotationDue([], 0, policy)).toBe(true);
    expect(rotationDue([a], policy.maxAgeMs - 1, policy)).toBe(false);
    expect(rotationDue([a], policy.maxAgeMs, policy)).toBe(true);
    const pending = key('p', policy.maxAgeMs, policy.maxAgeMs + policy.leadMs);
    expect(rotationDue([a, pending], policy.maxAgeMs + 1, policy)).toBe(false);
  });

  it('prunes keys a day after they left the key set', () => {
    const left = b.activeFrom + policy.tokenTtlMs + policy.graceMs;
    expect(prunable([a, b], left, policy)).toEqual([]);
    expect(prunable([a, b], left + 24 * H, policy).map((k) => k.kid)).toEqual(['a']);
  });
});
