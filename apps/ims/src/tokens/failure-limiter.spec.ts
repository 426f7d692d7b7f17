import { FailedAuthLimiter, SlidingWindowLimiter } from './failure-limiter';

describe(SlidingWindowLimiter.name, () => {
  it('allows `limit` events per window and says when the next one is allowed', () => {
    const sut = new SlidingWindowLimiter(3, 10_000);
    for (const t of [0, 1000, 2000]) {
      expect(sut.retryAfter('k', t)).toBe(0);
      sut.record('k', t);
    }
    expect(sut.retryAfter('k', 2500)).toBe(8); // the event at 0 leaves the window at 10 000
    expect(sut.retryAfter('other', 2500)).toBe(0);
    expect(sut.retryAfter('k', 10_000)).toBe(0);
  });

  it('slides: old events leave the window one by one', () => {
    const sut = new SlidingWindowLimiter(2, 1000);
    sut.record('k', 0);
    sut.record('k', 900);
    expect(sut.retryAfter('k', 950)).toBe(1);
    expect(sut.retryAfter('k', 1001)).toBe(0);
    sut.record('k', 1001);
    expect(sut.retryAfter('k', 1002)).toBe(1);
  });

  it('keeps at most maxKeys keys', () => {
    const sut = new SlidingWindowLimiter(1, 1000, 2);
    sut.record('a', 0);
    sut.record('b', 0);
    sut.record('c', 0);
    expect(sut.size).toBe(2);
    expect(sut.retryAfter('a', 1)).toBe(0);
    expect(sut.retryAfter('c', 1)).toBe(1);
  });
});

describe(FailedAuthLimiter.name, () => {
  const limits = { windowSeconds: 60, perClient: 2, perAddress: 3 };

  it('blocks an address after perAddress failures, whatever the client ids', () => {
    const sut = new FailedAuthLimiter(limits);
    for (const id of ['c1', 'c2', 'c3']) sut.recordFailure(id, '10.0.0.1', 0);
    expect(sut.blockedFor('c4', '10.0.0.1', 1)).toBe(60);
    expect(sut.blockedFor('c4', '10.0.0.3', 1)).toBe(0);
    expect(sut.blockedFor('c4', '10.0.0.1', 60_000)).toBe(0);
  });

  it('blocks one address guessing one client id after perClient failures', () => {
    const sut = new FailedAuthLimiter(limits);
    expect(sut.recordFailure('c1', '10.0.0.1', 0)).toBe(0);
    expect(sut.blockedFor('c1', '10.0.0.1', 1)).toBe(0);
    expect(sut.recordFailure('c1', '10.0.0.1', 1000)).toBe(0);
    expect(sut.blockedFor('c1', '10.0.0.1', 1001)).toBe(59);
    expect(sut.blockedFor('c2', '10.0.0.1', 1001)).toBe(0);
  });

  it('never blocks an address that has not failed the client id: the id is public', () => {
    const sut = new FailedAuthLimiter(limits);
    sut.recordFailure('c1', '10.0.0.1', 0);
    sut.recordFailure('c1', '10.0.0.2', 0);
    expect(sut.blockedFor('c1', '10.0.0.9', 1)).toBe(0);
  });

  it('once the client id is over its limit, answers its failures 429 and gives each address one guess', () => {
    const sut = new FailedAuthLimiter(limits);
    sut.recordFailure('c1', '10.0.0.1', 0);
    sut.recordFailure('c1', '10.0.0.2', 0);
    expect(sut.recordFailure('c1', '10.0.0.9', 1)).toBe(60);
    expect(sut.blockedFor('c1', '10.0.0.9', 2)).toBe(60);
    expect(sut.blockedFor('c1', '10.0.0.1', 2)).toBe(60);
    expect(sut.blockedFor('c1', '10.0.0.10', 2)).toBe(0);
    // lifted when the id falls back under its limit, though the address failed it
    expect(sut.blockedFor('c1', '10.0.0.9', 60_000)).toBe(0);
  });
});
