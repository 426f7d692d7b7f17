import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { Kafka, Partitioners, Producer } from 'kafkajs';
import { AudienceResync, Envelope, ListExported, PolicyChanged, Topics } from '@audx/contracts';
import { EventProducer, TopicNamer, buildMessage, createKafka } from '@audx/messaging';
import { json, testEnv, testKafkaSasl, waitFor, waitForEmptyGroup } from '@audx/testing';

export interface ExportView {
  exportId: string;
  status: string;
  audienceId: string;
  version: number | null;
  members: number | null;
  withIdentifier: number | null;
  complement: number | null;
  blocked: number | null;
  added: number | null;
  removed: number | null;
  size: number | null;
  policyViolations: { name: string; marketingAction: string }[];
}

export interface FileView {
  fileName: string;
  bytes: number;
  lines: number;
  md5: string;
}

export interface VersionView {
  version: number;
  mode: string;
  size: number;
  added: number;
  removed: number;
  files: FileView[];
  infoFile: string | null;
  removalInfoFile?: string;
}

/**
 * Plays identity-reconciliation (list.exported chunks) and segment-ingestion (policy.changed) on
 * the run's topics, and reads what audience-publication publishes on `audience.published`.
 */
export class PublicationDriver {
  readonly namer = new TopicNamer(testEnv().namespace);
  readonly kafka: Kafka;
  readonly producer: EventProducer;
  private raw: Producer | null = null;
  private readonly published: Envelope[] = [];
  readonly resyncs: Envelope<AudienceResync>[] = [];
  private consumer: ReturnType<Kafka['consumer']> | null = null;

  constructor(private readonly group: string) {
    const env = testEnv();
    this.kafka = createKafka({ brokers: env.kafkaBrokers.split(','), clientId: `test-${group}`, namespace: env.namespace, partitions: 3, replicationFactor: 1, sasl: testKafkaSasl() }, pino({ level: 'silent' }));
    this.producer = new EventProducer(this.kafka, this.namer, 'identity-reconciliation');
  }

  async start(): Promise<void> {
    await this.producer.connect();
    this.raw = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await this.raw.connect();
    this.consumer = this.kafka.consumer({ groupId: this.namer.group(`${this.group}-observer`), sessionTimeout: 6000 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [Topics.audiencePublished, Topics.audienceResync].map((t) => this.namer.physical(t)), fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const envelope = JSON.parse(message.value!.toString('utf8')) as Envelope;
        if (this.namer.logical(topic) === Topics.audienceResync) this.resyncs.push(envelope as Envelope<AudienceResync>);
        else this.published.push(envelope);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.raw?.disconnect();
    await this.producer.disconnect();
  }

  /** Publishes the chunks in order, keyed by export id (one partition), as the producer does. */
  async share(orgId: string, chunks: ListExported[]): Promise<void> {
    for (const c of chunks) await this.producer.publish(Topics.listExported, orgId, c);
  }

  /** Publishes one chunk to an explicit partition, with a fresh event id unless one is given. */
  async sendChunkTo(partition: number, orgId: string, chunk: ListExported, id?: string): Promise<string> {
    const m = buildMessage('identity-reconciliation', Topics.listExported, orgId, chunk, id ? { id } : {});
    await this.raw!.send({ topic: this.namer.physical(Topics.listExported), acks: -1, messages: [{ key: m.key, value: JSON.stringify(m.envelope), partition }] });
    return m.envelope.id;
  }

  async policy(orgId: string, payload: PolicyChanged): Promise<void> {
    await this.producer.publish(Topics.policyChanged, orgId, payload);
  }

  async tombstonePolicy(orgId: string, name: string): Promise<void> {
    await this.producer.tombstone(Topics.policyChanged, orgId, name);
  }

  /** Waits until the service's consumer group has no member left (see waitForEmptyGroup). */
  waitForEmptyGroup(groupId = 'audx-audience-publication'): Promise<void> {
    return waitForEmptyGroup(this.kafka, this.namer.group(groupId));
  }

  /** `audience.published` events seen so far for one audience. */
  eventsFor(audienceId: string): Envelope<{ audienceId: string; version: number; size: number; added: number; removed: number; files: FileView[] }>[] {
    return this.published.filter((e) => (e.payload as { audienceId: string }).audienceId === audienceId) as never;
  }

  async waitForEvents(audienceId: string, count: number, timeoutMs = 30000) {
    return waitFor(() => this.eventsFor(audienceId).length >= count && this.eventsFor(audienceId), { timeoutMs, what: `${count} audience.published events for ${audienceId}` });
  }
}

/** Calls audience-publication's API as a client of one org. */
export class PublicationApi {
  constructor(
    readonly url: string,
    readonly headers: Record<string, string>,
  ) {}

  get(pathAndQuery: string): Promise<Response> {
    return fetch(`${this.url}${pathAndQuery}`, { headers: this.headers });
  }

  post(pathAndQuery: string, body: unknown): Promise<Response> {
    return fetch(`${this.url}${pathAndQuery}`, { method: 'POST', headers: { ...this.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  async json<T>(pathAndQuery: string): Promise<T> {
    const res = await this.get(pathAndQuery);
    if (res.status !== 200) throw new Error(`GET ${pathAndQuery}: ${res.status} ${await res.text()}`);
    return json<T>(res);
  }

  /** Waits until the export reaches a final status and returns it. */
  async settled(exportId: string, timeoutMs = 30000): Promise<ExportView> {
    return waitFor(
      async () => {
        const res = await this.get(`/v1/exports/${encodeURIComponent(exportId)}`);
        if (res.status !== 200) return false;
        const e = await json<ExportView>(res);
        return ['published', 'rejected', 'superseded', 'failed'].includes(e.status) && e;
      },
      { timeoutMs, intervalMs: 150, what: `export ${exportId} settled` },
    );
  }

  async versions(audienceId: string): Promise<VersionView[]> {
    return this.json<VersionView[]>(`/v1/audiences/${audienceId}/versions`);
  }

  /** Every member of a version, following the cursor. */
  async allMembers(audienceId: string, version: number, limit = 25): Promise<string[]> {
    const out: string[] = [];
    let next: string | null = null;
    do {
      const q: string = `version=${version}&limit=${limit}${next ? `&after=${encodeURIComponent(next)}` : ''}`;
      const page: { items: string[]; next: string | null } = await this.json(`/v1/audiences/${audienceId}/members?${q}`);
      out.push(...page.items);
      next = page.next;
    } while (next);
    return out;
  }
}

/** The intake lines of a version's files, in file order (gunzipped when needed). */
export function readLines(orgDir: string, files: FileView[]): string[] {
  return files.flatMap((f) => {
    const raw = readFileSync(path.join(orgDir, f.fileName));
    const text = (f.fileName.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    return text.split('\n').slice(0, -1);
  });
}

export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
