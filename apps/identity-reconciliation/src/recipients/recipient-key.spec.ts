import { createHash } from 'node:crypto';
import { sha256 } from '@audx/identifiers';
import { recipientKey } from './recipient-key';

describe('recipientKey', () => {
  const digest = sha256('ann@example.test');

  it('is 8 bytes, stable, and differs between orgs for the same digest', () => {
    const a = recipientKey('ORG1@AdobeOrg', digest);
    expect(a).toHaveLength(8);
    expect(recipientKey('ORG1@AdobeOrg', digest).equals(a)).toBe(true);
    expect(recipientKey('ORG2@AdobeOrg', digest).equals(a)).toBe(false);
  });

  it("is the digest's first 8 bytes XOR the first 8 of the org's SHA-256", () => {
    const mask = createHash('sha256').update('ORG1@AdobeOrg').digest();
    const expected = Buffer.from(digest.subarray(0, 8).map((b, i) => b ^ mask[i]));
    expect(recipientKey('ORG1@AdobeOrg', digest)).toEqual(expected);
  });
});
