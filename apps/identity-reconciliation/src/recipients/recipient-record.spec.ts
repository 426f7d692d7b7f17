import { sha256Hex } from '@audx/identifiers';
import { ReconciliationKeySchema } from '../data-sources/data-source';
import { ListQuerySchema } from '../lists/list-query';
import { isAttributeName, toRecipientRecord } from './recipient-record';

describe(toRecipientRecord.name, () => {
  it('normalises and hashes every key once', () => {
    const sut = toRecipientRecord({ recipientId: ' r-1 ', email: ' ECID@adobe.com ', crmId: ' C-1 ', phone: '+33 6 00 00 00 01', attributes: { tier: 'gold', n: 3, vip: true, gone: null } });
    if ('error' in sut) throw new Error(sut.error);
    expect(sut).toMatchObject({ recipientId: 'r-1', email: 'ecid@adobe.com', crmId: 'C-1', phone: '+33600000001', blocklisted: false });
    expect(sut.emailSha?.toString('hex')).toBe('a6ea4cde5da5ae7cc68baae894d1d6544fca26254433b0fff7c2cb4843b4a097');
    expect(sut.attributes.map((a) => [a.name, a.value, a.sha.toString('hex')])).toEqual([
      ['tier', 'gold', sha256Hex('gold')],
      ['n', '3', sha256Hex('3')],
      ['vip', 'true', sha256Hex('true')],
    ]);
  });

  it('clears blank fields and refuses values that cannot be keys', () => {
    const blank = toRecipientRecord({ recipientId: 'r', email: '  ', phone: null });
    expect(blank).toMatchObject({ email: null, emailSha: null, phone: null, attributesJson: null });
    expect(toRecipientRecord({ recipientId: 'r', email: 'nope' })).toEqual({ error: 'email: not an email address' });
    expect(toRecipientRecord({ recipientId: 'r', phone: 'call me' })).toEqual({ error: 'phone: not a phone number' });
    expect(toRecipientRecord({ recipientId: 'r', attributes: { a: 'x'.repeat(513) } })).toEqual({ error: 'attributes.a: longer than 512 characters' });
    expect(toRecipientRecord({ recipientId: '  ' })).toEqual({ error: 'recipientId: must not be blank' });
    // every value within its limit, but more than the row's TEXT column holds as JSON
    const many = Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`a${i}`, 'é'.repeat(256)]));
    expect(toRecipientRecord({ recipientId: 'r', attributes: many })).toEqual({ error: 'attributes: longer than 65535 bytes as JSON' });
  });

  it('refuses attribute names outside the shared rule, naming the attribute', () => {
    for (const name of ['first name', 'prénom', 'a/b', "x') OR 1=1 --", 'tab\t', 'x'.repeat(101), '']) {
      const sut = toRecipientRecord({ recipientId: 'r', attributes: { tier: 'gold', [name]: 'x' } });
      expect(sut).toEqual({ error: `attributes: ${JSON.stringify(name.slice(0, 100))} is not a valid name (1 to 100 letters, digits, '_', '.' or '-')` });
    }
    const sut = toRecipientRecord({ recipientId: 'r', attributes: { 'a.b-c_1': 1, ['x'.repeat(100)]: 2 } });
    if ('error' in sut) throw new Error(sut.error);
    expect(sut.attributes.map((a) => a.name)).toEqual(['a.b-c_1', 'x'.repeat(100)]);
  });

  it('applies one attribute-name rule to recipients, reconciliation keys and list queries', () => {
    for (const name of ['tier', 'a.b-c_1', 'x'.repeat(100), 'x'.repeat(101), 'first name', 'prénom', 'a/b', '']) {
      const stored = !('error' in toRecipientRecord({ recipientId: 'r', attributes: { [name]: 'x' } }));
      const key = ReconciliationKeySchema.safeParse(`attributes.${name}`).success;
      const query = ListQuerySchema.safeParse({ all: [{ field: `attributes.${name}`, exists: true }] }).success;
      expect({ name, stored, key, query }).toEqual({ name, stored: isAttributeName(name), key: isAttributeName(name), query: isAttributeName(name) });
    }
    expect(isAttributeName('tier')).toBe(true);
    expect(isAttributeName('first name')).toBe(false);
  });
});
