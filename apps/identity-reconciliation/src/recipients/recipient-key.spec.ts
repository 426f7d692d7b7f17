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

  it('separates the org from the digest, so no org can forge another one\'s key by its suffix', () => {
    expect(recipientKey('ORG1', Buffer.concat([Buffer.from('x'), digest])).equals(recipientKey('ORG1x', digest))).toBe(false);
  });
});
