/**
 * A corpus of hostile inputs against every endpoint every service documents in its OpenAPI:
 * malformed and oversized bodies, wrong types, SQL and path-traversal strings in path parameters,
 * wrong content types, invalid UTF-8. Every answer must be a documented 4xx (or a success where
 * the input happens to be acceptable), never a 5xx, and every service must stay healthy.
 */
import net from 'node:net';
import { Tenant, TestStack, json } from '@audx/testing';

type ServiceName = 'ims' | 'segment-ingestion' | 'identity-reconciliation' | 'audience-publication';
const SERVICES: ServiceName[] = ['ims', 'segment-ingestion', 'identity-reconciliation', 'audience-publication'];
const SKIP = [/^\/(health|ready|metrics)$/, /^\/docs/];

const HOSTILE_PARAMS = [
  "' OR 1=1 --",
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  'x'.repeat(5000),
  '😀\u202e',
  '1; DROP TABLE lists',
  '-1',
];
const BODIES: { type: string; body: string | Buffer }[] = [
  { type: 'application/json', body: '{"name":' },
  { type: 'application/json', body: '[1,2,3]' },
  { type: 'application/json', body: '{"name":123,"labels":"C1","scopes":{},"recipientIds":7,"mode":"sideways"}' },
  { type: 'application/json', body: JSON.stringify({ name: 'x'.repeat(300_000) }) },
  { type: 'application/json', body: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}' },
  { type: 'application/json', body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
  { type: 'application/x-ndjson', body: '{"recipientId":\n{not json}\n' + '\u0000'.repeat(10) },
  { type: 'text/plain', body: "'; DROP TABLE imports; --\n../../etc/passwd 1" },
  { type: 'application/xml', body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>' },
  { type: 'application/x-www-form-urlencoded', body: 'grant_type=password&client_id=%FF%FE&client_secret=' + 'a'.repeat(50_000) },
];
const QUERIES = ['limit=-1', 'limit=abc&after=%FF', 'after=eyJ4IjoxfQ', 'status=%27%20OR%201%3D1', 'version=NaN&labels=' + 'C1,'.repeat(2000)];

interface Operation {
  method: string;
  path: string;
}

async function operations(url: string): Promise<Operation[]> {
  const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(await fetch(`${url}/docs/openapi.json`));
  return Object.entries(doc.paths)
    .filter(([p]) => !SKIP.some((r) => r.test(p)))
    .flatMap(([p, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path: p })));
}

function fill(path: string, value: string): string {
  return path.replace(/\{[^}]+\}/g, encodeURIComponent(value));
}

describe('hostile input sweep (every documented endpoint of the four services)', () => {
  let stack: TestStack;
  let tenant: Tenant;
  const failures: string[] = [];
  let requests = 0;
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    // a client silent for 3 s is cut (the idle test below); every request of the sweep is quicker
    stack = await TestStack.start(['segment-ingestion', 'identity-reconciliation', 'audience-publication'], { HTTP_IDLE_TIMEOUT_SECONDS: '3' });
    tenant = await stack.ims.tenant('hostile');
  });

  afterAll(async () => {
    await stack.stop();
  });

  async function probe(service: ServiceName, method: string, path: string, body?: { type: string; body: string | Buffer }, as: Record<string, string> = tenant.headers) {
    requests++;
    const res = await fetch(`${stack.url(service)}${path}`, {
      method,
      headers: { ...as, ...(body ? { 'content-type': body.type } : {}) },
      body: body?.body,
      redirect: 'manual',
    }).catch((err: Error) => ({ status: 0, text: async () => String(err) }) as unknown as Response);
    const text = await res.text();
    if (res.status >= 500 || res.status === 0) failures.push(`${service} ${method} ${path.slice(0, 120)} [${body?.type ?? ''}] -> ${res.status} ${text.slice(0, 200)}`);
    if (/at .*\.(ts|js):\d+/.test(text)) failures.push(`${service} ${method} ${path}: stack trace in the answer`);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    // 431: Node's HTTP parser refuses an over-long URL before any application code runs
    if (res.status >= 400 && res.status < 500 && res.status !== 431) {
      // a specific error: the JSON error body (OAuth endpoints answer {"error": "<code>"})
      let parsed: { error?: unknown } | null = null;
      try {
        parsed = JSON.parse(text) as { error?: unknown };
      } catch {
        /* not JSON */
      }
      const specific = parsed?.error && (typeof parsed.error === 'string' || (typeof parsed.error === 'object' && 'message' in parsed.error && 'code' in parsed.error));
      if (!specific) failures.push(`${service} ${method} ${path.slice(0, 120)} [${body?.type ?? ''}] -> ${res.status} without a specific JSON error: ${text.slice(0, 120)}`);
    }
  }

  async function sweep(service: ServiceName, as?: Record<string, string>) {
    const ops = await operations(stack.url(service));
    expect(ops.length).toBeGreaterThan(0);
    for (const op of ops) {
      for (const param of op.path.includes('{') ? HOSTILE_PARAMS : ['']) {
        const path = fill(op.path, param);
        if (op.method === 'GET' || op.method === 'DELETE') {
          await probe(service, op.method, path, undefined, as);
          for (const q of QUERIES) await probe(service, op.method, `${path}?${q}`, undefined, as);
        } else {
          for (const body of BODIES) await probe(service, op.method, path, body, as);
        }
      }
    }
  }

  it.each(SERVICES)('%s answers every hostile request with a 4xx or a success, never a 5xx', async (service) => {
    await sweep(service);
    expect(failures).toEqual([]);
  });

  it("ims answers the operator's hostile requests the same way", async () => {
    const { 'content-type': _, ...admin } = await stack.ims.adminHeaders();
    await sweep('ims', admin);
    expect(failures).toEqual([]);
  });

  it('cuts an upload whose client stopped sending, after HTTP_IDLE_TIMEOUT_SECONDS, and serves others meanwhile', async () => {
    const { hostname, port } = new URL(stack.url('segment-ingestion'));
    const socket = net.connect(Number(port), hostname);
    await new Promise((r) => socket.once('connect', r));
    const auth = Object.entries(tenant.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`POST /v1/imports?format=aam-outbound&mode=full HTTP/1.1\r\nhost: ${hostname}\r\n${auth}content-type: text/plain\r\ncontent-length: 100000000\r\n\r\n`);
    socket.write(`${'9'.repeat(38)} 1\n`);
    const started = Date.now();
    const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - started)));
    socket.on('error', () => undefined);
    expect((await fetch(`${stack.url('segment-ingestion')}/health`)).status).toBe(200);
    const after = await closed;
    expect(after).toBeGreaterThanOrEqual(2500);
    expect(after).toBeLessThan(15_000);
  }, 30_000);

  it('leaves every service healthy and ready', async () => {
    for (const s of SERVICES) {
      expect((await fetch(`${stack.url(s)}/health`)).status).toBe(200);
      expect((await fetch(`${stack.url(s)}/ready`)).status).toBe(200);
    }
    process.stdout.write(`hostile sweep: ${requests} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`);
  });
});
