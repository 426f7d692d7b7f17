import { ConsumerBacklog } from './consumer-backlog';

describe(ConsumerBacklog.name, () => {
  afterEach(() => jest.useRealTimers());

  it('sums the partitions of a topic, keeps the latest report of each, and forgets stale ones', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const sut = new ConsumerBacklog();
    sut.report('segment.membership', 0, 1200, 40);
    sut.report('segment.membership', 1, 300, 900);
    sut.report('segment.membership', 1, 100, 700);
    sut.report('segment.membershipx', 0, 9, 5000);
    expect(sut.behind('segment.membership')).toBe(1300);
    expect(sut.lagMs('segment.membership')).toBe(700);
    expect(sut.topics()).toEqual(new Map([['segment.membership', 1300], ['segment.membershipx', 9]]));
    jest.setSystemTime(1_000_000 + 6000);
    sut.report('segment.membership', 0, -3, -10);
    expect(sut.behind('segment.membership')).toBe(0);
    expect(sut.lagMs('segment.membership')).toBe(0);
  });

  describe('giveWay', () => {
    const limits = { maxBehind: 200, maxLagMs: 250, maxWaitMs: 1000 };

    it('returns at once when the consumer is caught up', async () => {
      const sut = new ConsumerBacklog();
      sut.report('segment.membership', 0, 150, 100);
      expect(await sut.giveWay('segment.membership', limits)).toBeLessThan(10);
    });

    it('waits while too many messages wait, and goes on as soon as the consumer catches up', async () => {
      const sut = new ConsumerBacklog();
      sut.report('segment.membership', 0, 5000, 10);
      setTimeout(() => sut.report('segment.membership', 0, 0, 10), 150);
      const waited = await sut.giveWay('segment.membership', limits);
      expect(waited).toBeGreaterThanOrEqual(140);
      expect(waited).toBeLessThan(600);
    });

    it('waits while the next message is older than the lag limit', async () => {
      const sut = new ConsumerBacklog();
      sut.report('segment.membership', 0, 1, 4000);
      setTimeout(() => sut.report('segment.membership', 0, 1, 20), 120);
      expect(await sut.giveWay('segment.membership', limits)).toBeGreaterThanOrEqual(110);
    });

    it('never waits longer than the limit, and takes a consumer that stopped reporting as caught up', async () => {
      const sut = new ConsumerBacklog();
      sut.report('segment.membership', 0, 90000, 60000);
      const bounded = await sut.giveWay('segment.membership', { ...limits, maxWaitMs: 100 });
      expect(bounded).toBeGreaterThanOrEqual(100);
      expect(bounded).toBeLessThan(400);
      const stale = await sut.giveWay('segment.membership', { ...limits, maxWaitMs: 5000, freshMs: 50 });
      expect(stale).toBeLessThan(50);
    });
  });
});
