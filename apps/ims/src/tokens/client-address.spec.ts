import { ClientAddressResolver, isAddressOrRange } from './client-address';

describe(ClientAddressResolver.name, () => {
  it('ignores X-Forwarded-For when no proxy is trusted', () => {
    const sut = new ClientAddressResolver([]);
    expect(sut.resolve('10.0.0.5', '203.0.113.7')).toBe('10.0.0.5');
    expect(sut.resolve('::ffff:10.0.0.5', undefined)).toBe('10.0.0.5');
    expect(sut.resolve(undefined, undefined)).toBe('unknown');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    const sut = new ClientAddressResolver(['10.0.0.0/8']);
    expect(sut.resolve('192.0.2.1', '203.0.113.7')).toBe('192.0.2.1');
  });

  it('takes the right-most untrusted hop behind trusted proxies, so forged hops on the left do not count', () => {
    const sut = new ClientAddressResolver(['10.0.0.0/8', '192.168.1.1']);
    expect(sut.resolve('::ffff:10.0.0.2', '203.0.113.7')).toBe('203.0.113.7');
    expect(sut.resolve('10.0.0.2', '1.1.1.1, 2.2.2.2, 203.0.113.7, 192.168.1.1, 10.9.9.9')).toBe('203.0.113.7');
    expect(sut.resolve('10.0.0.2', 'forged, 203.0.113.7')).toBe('203.0.113.7');
  });

  it('stops at the last trusted hop when the chain runs out or holds something that is not an address', () => {
    const sut = new ClientAddressResolver(['10.0.0.0/8', 'fd00::/8']);
    expect(sut.resolve('10.0.0.2', '10.0.0.3')).toBe('10.0.0.3');
    expect(sut.resolve('10.0.0.2', '203.0.113.7:4711, 10.0.0.3')).toBe('10.0.0.3');
    expect(sut.resolve('fd00::1', '2001:db8::7, fd00::2')).toBe('2001:db8::7');
  });
});

describe(isAddressOrRange.name, () => {
  it.each(['10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', 'fd00::/8', '::1', '2001:db8::/128'])('accepts %s', (entry) => {
    expect(isAddressOrRange(entry)).toBe(true);
  });

  it.each(['', 'proxy.local', '10.0.0.0/33', 'fd00::/129', '10.0.0.1/', '10.0.0.0/8/1', '10.0.0.1:80', '10.0.0/8'])('refuses %s', (entry) => {
    expect(isAddressOrRange(entry)).toBe(false);
  });
});
