import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { EventProducer, RawRecord, TopicNamer, createKafka } from '@audx/messaging';
import { Tenant, TestStack, testEnv, testKafkaSasl, waitFor } from '@audx/testing';

export type Service = 'ims' | 'segment-ingestion' | 'identity-reconciliation' | 'audience-publication';
export type Body = Record<string, unknown> | unknown[] | string | Buffer | undefined;

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  text: string;
}

/** A tenant's view of the four services, as a client would call them. */
export class Client {
  constructor(
    private readonly stack: TestStack,
    readonly tenant: Tenant,
  ) {}

  async call<T = Record<string, unknown>>(service: Service, method: string, path: string, body?: Body, type?: string): Promise<Answer<T>> {
    const isRaw = typeof body === 'string' || Buffer.isBuffer(body);
    const res = await fetch(`${this.stack.url(service)}${path}`, {
      method,
      headers: { ...this.tenant.headers, ...(body === undefined ? {} : { 'content-type': type ?? (isRaw ? 'text/plain' : 'application/json') }) },
      body: body === undefined ? undefined : isRaw ? (body as string | Buffer) : JSON.stringify(body),
      redirect: 'manual',
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, text };
  }

  async ok<T = Record<string, unknown>>(service: Service, method: string, path: string, body?: Body, type?: string): Promise<T> {
    const a = await this.call<T>(service, method, path, body, type);
    if (a.status >= 300) throw new Error(`${method} ${path} -> ${a.status} ${a.text.slice(0, 400)}`);
    return a.body;
  }

  /** POST a file to /v1/imports and wait until the import is completed (or failed/rejected). */
  async importFile(query: string, content: string | Buffer, type = 'text/plain'): Promise<ImportView> {
    const accepted = await this.ok<{ importId: string }>('segment-ingestion', 'POST', `/v1/imports?${query}`, content, type);
    return this.importDone(accepted.importId);
  }

  importDone(importId: string): Promise<ImportView> {
    return waitFor(
      async () => {
        const v = await this.ok<ImportView>('segment-ingestion', 'GET', `/v1/imports/${importId}`);
        return ['completed', 'failed', 'rejected'].includes(v.status) && v;
      },
      { timeoutMs: 60000, what: `import ${importId} to finish` },
    );
  }

  async listOf(segmentId: string, dataSource = 'defaultDataSource'): Promise<ListView> {
    const lists = await this.ok<{ items: ListView[] }>('identity-reconciliation', 'GET', '/v1/lists?limit=1000');
    const l = lists.items.find((x) => x.segmentId === segmentId && x.dataSource === dataSource);
    if (!l) throw new Error(`no list for segment ${segmentId} / ${dataSource}`);
    return l;
  }

  async members(listId: string): Promise<string[]> {
    const out: string[] = [];
    let after: string | null = null;
    do {
      const page: { items: string[]; next: string | null } = await this.ok('identity-reconciliation', 'GET', `/v1/lists/${listId}/members?limit=500${after ? `&after=${after}` : ''}`);
      out.push(...page.items);
      after = page.next;
    } while (after);
    return out.sort();
  }

  /** Share a list and wait until the export is published or rejected. */
  async share(listId: string, body: Record<string, unknown>): Promise<ExportView> {
    const { exportId } = await this.ok<{ exportId: string }>('identity-reconciliation', 'POST', `/v1/lists/${listId}/share`, body);
    return waitFor(
      async () => {
        const a = await this.call<ExportView>('audience-publication', 'GET', `/v1/exports/${exportId}`);
        return a.status === 200 && ['published', 'rejected', 'superseded', 'failed'].includes(a.body.status) && a.body;
      },
      { timeoutMs: 60000, what: `export ${exportId}` },
    );
  }
}

export interface ImportView {
  importId: string;
  status: string;
  receipt: Record<string, unknown>;
  reconciliation: { matched: number; unmatched: number; matchRate: number | null } | null;
  errors: { line: number; reason: string }[];
  policyViolations: { segmentId: string; violatedPolicies: string[] }[];
}

export interface ListView {
  listId: string;
  name: string;
  segmentId: string | null;
  dataSource: string | null;
  size: number;
  labels: string[];
}

export interface ExportView {
  exportId: string;
  status: string;
  audienceId: string | null;
  version: number | null;
  members: number;
  withIdentifier: number;
  complement: number;
  blocked: number;
  added: number;
  removed: number;
  policyViolations: { name: string }[] | string[];
}

export const vid = (n: number) => String(n).padStart(38, '0');

/** A producer of the run's namespace, as the broker's operator (events written from outside the services). */
export function testProducer(clientId: string): EventProducer {
  const env = testEnv();
  const kafka = createKafka({ brokers: env.kafkaBrokers.split(','), clientId, namespace: env.namespace, partitions: 3, replicationFactor: 1, sasl: testKafkaSasl() }, pino({ level: 'silent' }));
  return new EventProducer(kafka, new TopicNamer(env.namespace), 'e2e');
}

/** An event of `topic` for `orgId` with any payload, a fresh event id each time (poison when the payload is wrong). */
export function rawEvent(orgId: string, topic: string, payload: unknown): RawRecord {
  return { topic, key: orgId, value: JSON.stringify({ id: randomUUID(), type: topic, version: 1, orgId, occurredAt: new Date().toISOString(), correlationId: null, producer: 'e2e', payload }) };
}
