import { EventEmitter } from 'node:events';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { TopicNamer } from '@audx/messaging';
import { RevocationFeed } from './revocation-feed';
import { RevocationList } from './revocations';

/**
 * The feed's recovery as a state machine, against a client whose calls can hang for ever (what a
 * broker half up or away does to kafkajs). The real broker's restarts are in
 * e2e/faults/revocation-feed.fault-spec.ts.
 */
type Step = 'connect' | 'run' | 'disconnect' | 'slow-run';
const never = new Promise<void>(() => undefined);

class FakeConsumer extends EventEmitter {
  readonly events = { FETCH: 'fetch', CRASH: 'crash' };
  readonly groups: string[] = [];
  eachBatch: ((p: { batch: { partition: number; messages: never[]; lastOffset: () => string } }) => Promise<void>) | null = null;
  constructor(private readonly hangs: Set<Step>, readonly groupId: string) {
    super();
  }
  async connect(): Promise<void> {
    if (this.hangs.has('connect')) await never;
  }
  async subscribe(): Promise<void> {}
  async run(o: { eachBatch: FakeConsumer['eachBatch'] }): Promise<void> {
    if (this.hangs.has('run')) await never;
    if (this.hangs.has('slow-run')) await new Promise((r) => setTimeout(r, 400));
    this.eachBatch = o.eachBatch;
  }
  async disconnect(): Promise<void> {
    if (this.hangs.has('disconnect')) await never;
  }
  /** The broker answers a fetch: the partition's batch up to its high watermark. */
  async fetchUpTo(high: number): Promise<void> {
    this.emit('fetch');
    await this.eachBatch?.({ batch: { partition: 0, messages: [], lastOffset: () => String(high - 1) } });
  }
}

function fakeKafka(plan: Set<Step>[], high: number) {
  const consumers: FakeConsumer[] = [];
  const kafka = {
    admin: () => ({ connect: async () => undefined, disconnect: async () => undefined, fetchTopicOffsets: async () => [{ partition: 0, low: '0', high: String(high) }] }),
    consumer: (o: { groupId: string }) => {
      const c = new FakeConsumer(plan[consumers.length] ?? new Set(), o.groupId);
      consumers.push(c);
      return c;
    },
  } as unknown as Kafka;
  return { kafka, consumers };
}

const running = (consumers: FakeConsumer[], i: number) => consumers.length > i && consumers[i].eachBatch !== null;

describe(RevocationFeed.name, () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const until = async (what: () => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (!what()) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await sleep(10);
    }
  };
  let feed: RevocationFeed | null = null;
  afterEach(async () => {
    await feed?.stop();
    feed = null;
  });

  function startFeed(plan: Set<Step>[], o: { high?: number; connectTimeoutMs?: number } = {}) {
    const { kafka, consumers } = fakeKafka(plan, o.high ?? 3);
    const list = new RevocationList();
    feed = new RevocationFeed({ kafka, namer: new TopicNamer(''), service: 'unit', list, logger: pino({ level: 'silent' }), staleAfterMs: 150, connectTimeoutMs: o.connectTimeoutMs ?? 200 });
    feed.start();
    return { list, consumers };
  }

  it('turns ready once the consumer has read up to the high watermarks found at start', async () => {
    const { list, consumers } = startFeed([]);
    await until(() => running(consumers, 0));
    expect(list.ready).toBe(false);
    await consumers[0].fetchUpTo(3);
    expect(list.ready).toBe(true);
  });

  it('gives up on a join that never answers and connects again with a fresh group', async () => {
    const { list, consumers } = startFeed([new Set(['connect', 'disconnect'])]);
    await until(() => running(consumers, 1));
    expect(consumers[1].groupId).not.toBe(consumers[0].groupId);
    await consumers[1].fetchUpTo(3);
    expect(list.ready).toBe(true);
  });

  it('replaces a silent consumer even when the old one never finishes disconnecting, and refuses tokens meanwhile', async () => {
    const { list, consumers } = startFeed([new Set(['disconnect'])]);
    await until(() => running(consumers, 0));
    await consumers[0].fetchUpTo(3);
    expect(list.ready).toBe(true);
    // the broker goes away: no fetch answers, and the old consumer hangs in its disconnect
    await until(() => !list.ready);
    await until(() => running(consumers, 1));
    await consumers[1].fetchUpTo(3);
    expect(list.ready).toBe(true);
  });

  it('ignores what a superseded consumer reads', async () => {
    const { list, consumers } = startFeed([]);
    await until(() => running(consumers, 0));
    await until(() => running(consumers, 1));
    expect(list.ready).toBe(false);
    await consumers[0].fetchUpTo(3);
    expect(list.ready).toBe(false);
    await consumers[1].fetchUpTo(3);
    expect(list.ready).toBe(true);
  });

  it('turns ready again when a consumer that caught up before it joined (an empty topic) fetches after the watchdog marked it stale', async () => {
    // a CI run's broker restart: the new generation found no revocation to read, the join took
    // longer than the stale window, and the list stayed refused for good although fetches answered
    const { list, consumers } = startFeed([new Set(['slow-run'])], { high: 0, connectTimeoutMs: 1000 });
    await until(() => list.ready);
    await until(() => !list.ready);
    await until(() => running(consumers, 0));
    await consumers[0].fetchUpTo(0);
    expect(list.ready).toBe(true);
    expect(consumers).toHaveLength(1);
  });

  it('replaces a consumer that crashed for good at once', async () => {
    const { consumers } = startFeed([]);
    await until(() => running(consumers, 0));
    consumers[0].emit('crash', { payload: { error: new Error('gone'), restart: false } });
    await until(() => consumers.length >= 2, 100);
  });
});
