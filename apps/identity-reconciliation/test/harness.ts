import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Consumer, Kafka } from 'kafkajs';
import pino from 'pino';
import { Envelope, PayloadOf, SegmentImported, TopicName, Topics, contractOf, dlqOf } from '@audx/contracts';
import { EventProducer, TopicNamer, createKafka } from '@audx/messaging';
import { json, kcatSaslArgs, Tenant, testEnv, testKafkaSasl, waitFor, waitForEmptyGroup } from '@audx/testing';

/** Talks to a running identity-reconciliation the way a client does. */
export class IdentityClient {
  constructor(
    readonly url: string,
    readonly tenant: Tenant,
  ) {}

  get orgId(): string {
    return this.tenant.orgId;
  }

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const init: RequestInit = { method, headers: { ...this.tenant.headers, ...headers }, redirect: 'manual' };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= typeof body === 'string' ? 'application/x-ndjson' : 'application/json';
    }
    return fetch(`${this.url}${path}`, init);
  }

  async ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown, expected = [200, 201, 202, 204]): Promise<T> {
    const res = await this.request(method, path, body);
    if (!expected.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? (undefined as T) : json<T>(res);
  }

  putDataSource(name: string, body: Record<string, unknown>) {
    return this.ok('PUT', `/v1/data-sources/${name}`, { label: name, dpid: 4242, ...body });
  }

  upsertRecipients(records: Record<string, unknown>[]) {
    return this.ok<{ received: number; upserted: number; rejected: number; errors: { line: number; reason: string }[] }>('POST', '/v1/recipients', ndjson(records));
  }

  linkVisitors(links: { visitorId: string; recipientId: string; observedAt?: string }[]) {
    return this.ok<{ linked: number; rejected: number }>('POST', '/v1/visitors', ndjson(links));
  }

  async members(listId: string): Promise<string[]> {
    const out: string[] = [];
    let after: string | null = null;
    do {
      const page: { items: string[]; next: string | null } = await this.ok('GET', `/v1/lists/${listId}/members?limit=1000${after ? `&after=${after}` : ''}`);
      out.push(...page.items);
      after = page.next;
    } while (after);
    return out.sort();
  }

  async listOf(dataSource: string, segmentId: string): Promise<{ listId: string; size: number; labels: string[]; segmentId: string } | undefined> {
    const page: { items: { listId: string; size: number; labels: string[]; segmentId: string; dataSource: string }[] } = await this.ok('GET', '/v1/lists?limit=1000');
    return page.items.find((l) => l.dataSource === dataSource && l.segmentId === segmentId);
  }

  /** Waits until the import is reconciled and answers its report. */
  async waitReconciled(importId: string, timeoutMs = 30000): Promise<Reconciliation> {
    let last = '';
    return waitFor(
      async () => {
        const res = await this.request('GET', `/v1/imports/${importId}`);
        last = `${res.status} ${(await res.clone().text()).slice(0, 300)}`;
        if (res.status !== 200) return false;
        const body = await json<Reconciliation>(res);
        return body.status === 'reconciled' ? body : false;
      },
      { timeoutMs, intervalMs: 100, what: `import ${importId} reconciled` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last answer: ${last}`);
    });
  }

  async unmatched(importId: string): Promise<{ userId: string; reason: string }[]> {
    const page: { items: { userId: string; reason: string }[] } = await this.ok('GET', `/v1/imports/${importId}/unmatched?limit=10000`);
    return page.items;
  }
}

export interface Reconciliation {
  importId: string;
  status: string;
  matched: number;
  unmatched: number;
  invalid: number;
  lists: { listId: string; segmentId: string; size: number; added: number; removed: number }[];
}

export function ndjson(rows: unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

export function visitorId(n: number): string {
  return String(n).padStart(38, '0');
}

let sequence = Date.now();
/** Acceptance sequences as segment-ingestion hands them out: increasing. */
export function nextSequence(): number {
  return ++sequence;
}

export interface ImportSpec {
  dataSource: string;
  mode?: 'iter' | 'full';
  sequence?: number;
  segments: { segmentId: string; labels?: string[] }[];
  members: { userId: string; add?: string[]; remove?: string[] }[];
  chunkSize?: number;
}

/** Produces events on this run's topics as segment-ingestion and event producers would. */
export class Producers {
  readonly kafka: Kafka;
  readonly namer: TopicNamer;
  readonly producer: EventProducer;

  constructor() {
    const env = testEnv();
    this.namer = new TopicNamer(env.namespace);
    this.kafka = createKafka({ brokers: env.kafkaBrokers.split(','), clientId: 'identity-test', namespace: env.namespace, partitions: 3, replicationFactor: 1, sasl: testKafkaSasl() }, pino({ level: 'silent' }));
    this.producer = new EventProducer(this.kafka, this.namer, 'identity-test');
  }

  private readonly tokens = new Map<string, string>();

  /** Events of the org then carry its access token, as an outside producer's must. */
  authorize(orgId: string, token: string): void {
    this.tokens.set(orgId, token);
  }

  publish<T extends TopicName>(topic: T, orgId: string, payload: PayloadOf<T>, id?: string): Promise<Envelope> {
    const token = this.tokens.get(orgId);
    return this.producer.publish(topic, orgId, payload, { ...(id ? { id } : {}), ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });
  }

  /** Sends one record with Debian's `kcat` (librdkafka, not kafkajs), as a producer outside the product would. */
  async kcat(topic: TopicName, key: string, value: string, headers: Record<string, string> = {}): Promise<void> {
    // as a producer that is not ours: the outside producers' principal on the secured broker
    const args = ['-P', '-b', testEnv().kafkaBrokers, ...kcatSaslArgs(), '-t', this.namer.physical(topic), '-k', key, ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`])];
    await new Promise<void>((resolve, reject) => {
      const child = execFile('kcat', args, { timeout: 20000 }, (err, _out, stderr) => (err ? reject(new Error(`kcat: ${err.message} ${stderr}`)) : resolve()));
      child.stdin?.end(`${value}\n`);
    });
  }

  /** Sends a payload unchecked, as a faulty producer would (publish refuses what breaks the contract). */
  async publishUnchecked(topic: TopicName, orgId: string, key: string, payload: unknown): Promise<void> {
    const envelope = { id: randomUUID(), type: contractOf(topic).type, version: 1, orgId, occurredAt: new Date().toISOString(), correlationId: null, producer: 'identity-test', payload };
    await this.producer.sendRaw([{ topic, key, value: JSON.stringify(envelope) }]);
  }

  /** The chunks of one import (seq 0..n-1, totals on the last), not yet sent. */
  chunks(spec: ImportSpec, importId = `imp_${randomUUID().slice(0, 8)}`): SegmentImported[] {
    const size = spec.chunkSize ?? 1000;
    const n = Math.max(1, Math.ceil(spec.members.length / size));
    const seqNo = spec.sequence ?? nextSequence();
    return Array.from({ length: n }, (_, seq) => ({
      importId,
      sequence: seqNo,
      dataSource: spec.dataSource,
      mode: spec.mode ?? 'iter',
      seq,
      last: seq === n - 1,
      segments: spec.segments.map((s) => ({ segmentId: s.segmentId, labels: s.labels ?? [] })),
      members: spec.members.slice(seq * size, (seq + 1) * size).map((m) => ({ userId: m.userId, add: m.add ?? [], remove: m.remove ?? [] })),
      ...(seq === n - 1 ? { totals: { chunks: n, members: spec.members.length, invalidIds: 0 } } : {}),
    }));
  }

  async sendImport(orgId: string, spec: ImportSpec): Promise<string> {
    const chunks = this.chunks(spec);
    for (const c of chunks) await this.publish(Topics.segmentImported, orgId, c);
    return chunks[0].importId;
  }

  /** Waits until the service's consumer group has no member left (see waitForEmptyGroup). */
  waitForEmptyGroup(groupId = 'audx-identity-reconciliation'): Promise<void> {
    return waitForEmptyGroup(this.kafka, this.namer.group(groupId));
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

/** Reads what the service publishes, from the beginning of this run's topics. */
export class Observed {
  private readonly consumer: Consumer;
  readonly events: Envelope[] = [];
  private readonly read = new Map<string, number>(); // `${topic}:${partition}` -> last offset read

  constructor(private readonly producers: Producers) {
    this.consumer = producers.kafka.consumer({ groupId: producers.namer.group(`identity-test-${randomUUID()}`), maxWaitTimeInMs: 200 });
  }

  async start(topics: TopicName[]): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: topics.map((t) => this.producers.namer.physical(t)), fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        if (message.value) this.events.push(JSON.parse(message.value.toString('utf8')) as Envelope);
        this.read.set(`${topic}:${partition}`, Number(message.offset));
      },
    });
  }

  /** Waits until everything already on these topics has been read: no event still on its way to `of`. */
  async caughtUp(topics: TopicName[], timeoutMs = 20000): Promise<void> {
    const admin = this.producers.kafka.admin();
    await admin.connect();
    try {
      for (const physical of topics.map((t) => this.producers.namer.physical(t))) {
        for (const p of await admin.fetchTopicOffsets(physical)) {
          const last = Number(p.high) - 1;
          await waitFor(() => (this.read.get(`${physical}:${p.partition}`) ?? -1) >= last, { timeoutMs, intervalMs: 50, what: `${physical}[${p.partition}] read up to ${last}` });
        }
      }
    } finally {
      await admin.disconnect();
    }
  }

  of<T extends TopicName>(type: string, orgId: string, filter: (p: PayloadOf<T>) => boolean = () => true): Envelope<PayloadOf<T>>[] {
    return this.events.filter((e) => e.type === type && e.orgId === orgId && filter(e.payload as PayloadOf<T>)) as Envelope<PayloadOf<T>>[];
  }

  waitFor<T extends TopicName>(type: string, orgId: string, filter: (p: PayloadOf<T>) => boolean, count = 1, timeoutMs = 20000): Promise<Envelope<PayloadOf<T>>[]> {
    return waitFor(
      () => {
        const found = this.of<T>(type, orgId, filter);
        return found.length >= count ? found : false;
      },
      { timeoutMs, intervalMs: 100, what: `${count} ${type}` },
    );
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** Reads a topic's dead letters from the beginning of this run, with the error each carries. */
export class DeadLetters {
  private readonly consumer: Consumer;
  readonly letters: { key: string; error: string }[] = [];

  constructor(
    private readonly producers: Producers,
    private readonly topic: TopicName,
  ) {
    this.consumer = producers.kafka.consumer({ groupId: producers.namer.group(`identity-dlq-${randomUUID()}`), maxWaitTimeInMs: 200 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.producers.namer.physical(dlqOf(this.topic)), fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        this.letters.push({ key: message.key?.toString('utf8') ?? '', error: message.headers?.['x-error']?.toString() ?? '' });
      },
    });
  }

  waitFor(key: string, timeoutMs = 20000): Promise<{ key: string; error: string }> {
    return waitFor(() => this.letters.find((l) => l.key === key) ?? false, { timeoutMs, intervalMs: 100, what: `a dead letter keyed ${key}` });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** How many messages of a topic the service's consumer handled with an outcome (from /metrics). */
export async function consumed(serviceUrl: string, topic: string, outcome: 'processed' | 'duplicate' | 'dead-lettered'): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('audx_messages_consumed_total{') && l.includes(`topic="${topic}"`) && l.includes(`outcome="${outcome}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}
