import { FailedAuthLimiter } from './failure-limiter';
import { MemoryFailureStore } from './failure-store.fake';

describe(FailedAuthLimiter.name, () => {
  const limits = { windowSeconds: 60, perClient: 2, perAddress: 3 };

  it('blocks an address after perAddress failures, whatever the client ids', async () => {
    const sut = new FailedAuthLimiter(limits, new MemoryFailureStore());
    for (const id of ['c1', 'c2', 'c3']) await sut.recordFailure(id, '10.0.0.1', 0);
    expect(await sut.blockedFor('c4', '10.0.0.1', 1)).toBe(60);
    expect(await sut.blockedFor('c4', '10.0.0.3', 1)).toBe(0);
    expect(await sut.blockedFor('c4', '10.0.0.1', 60_000)).toBe(0);
  });

  it('blocks one address guessing one client id after perClient failures', async () => {
    const sut = new FailedAuthLimiter(limits, new MemoryFailureStore());
    expect(await sut.recordFailure('c1', '10.0.0.1', 0)).toBe(0);
    expect(await sut.blockedFor('c1', '10.0.0.1', 1)).toBe(0);
    expect(await sut.recordFailure('c1', '10.0.0.1', 1000)).toBe(0);
    expect(await sut.blockedFor('c1', '10.0.0.1', 1001)).toBe(59);
    expect(await sut.blockedFor('c2', '10.0.0.1', 1001)).toBe(0);
  });

  it('never blocks an address that has not failed the client id: the id is public', async () => {
    const sut = new FailedAuthLimiter(limits, new MemoryFailureStore());
    await sut.recordFailure('c1', '10.0.0.1', 0);
    await sut.recordFailure('c1', '10.0.0.2', 0);
    expect(await sut.blockedFor('c1', '10.0.0.9', 1)).toBe(0);
  });

  it('once the client id is over its limit, answers its failures 429 and gives each address one guess', async () => {
    const sut = new FailedAuthLimiter(limits, new MemoryFailureStore());
    await sut.recordFailure('c1', '10.0.0.1', 0);
    await sut.recordFailure('c1', '10.0.0.2', 0);
    expect(await sut.recordFailure('c1', '10.0.0.9', 1)).toBe(60);
    expect(await sut.blockedFor('c1', '10.0.0.9', 2)).toBe(60);
    expect(await sut.blockedFor('c1', '10.0.0.1', 2)).toBe(60);
    expect(await sut.blockedFor('c1', '10.0.0.10', 2)).toBe(0);
    // lifted when the id falls back under its limit, though the address failed it
    expect(await sut.blockedFor('c1', '10.0.0.9', 60_000)).toBe(0);
  });

  it('slides: failures leave the window one by one', async () => {
    const sut = new FailedAuthLimiter({ windowSeconds: 1, perClient: 100, perAddress: 2 }, new MemoryFailureStore());
    await sut.recordFailure('c1', 'a', 0);
    await sut.recordFailure('c2', 'a', 900);
    expect(await sut.blockedFor('c9', 'a', 950)).toBe(1);
    expect(await sut.blockedFor('c9', 'a', 1001)).toBe(0);
    await sut.recordFailure('c3', 'a', 1001);
    expect(await sut.blockedFor('c9', 'a', 1002)).toBe(1);
  });
});
