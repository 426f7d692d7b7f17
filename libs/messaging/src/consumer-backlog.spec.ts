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
});
