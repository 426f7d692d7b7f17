import { AddressRateLimit } from './address-rate-limit';

describe(AddressRateLimit.name, () => {
  it('allows perMinute requests of an address in a minute, then refuses until the next minute', () => {
    const sut = new AddressRateLimit(3);
    const t = 1_000_000;
    expect([1, 2, 3, 4].map(() => sut.allow('10.0.0.1', t))).toEqual([true, true, true, false]);
    expect(sut.allow('10.0.0.2', t)).toBe(true);
    expect(sut.allow('10.0.0.1', t + 59_999)).toBe(false);
    expect(sut.allow('10.0.0.1', t + 60_000)).toBe(true);
  });

  it('tracks at most maxAddresses, forgetting the address seen longest ago', () => {
    const sut = new AddressRateLimit(1, 100);
    for (let i = 0; i < 10_000; i++) sut.allow(`a-${i}`, 5);
    expect(sut.tracked).toBe(100);
    expect(sut.allow('a-9999', 5)).toBe(false);
    expect(sut.allow('a-0', 5)).toBe(true);
  });
});
