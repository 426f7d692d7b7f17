/**
 * The whole product through its public contract, as a client uses it: the four services as real
 * processes on the broker and MySQL of this run, driven over HTTP only.
 *
 * 1. recipients and visitor links loaded through POST /v1/recipients and POST /v1/visitors;
 * 2. an N-line AAM segment file (80 % of it known) uploaded, first byte to import `completed`,
 *    next to its SQL floor: the same identifiers loaded by one LOAD DATA and resolved by one
 *    INSERT ... SELECT join on the same server;
 * 3. the resulting list shared, request to version published (files written);
 * 4. a 1 % change (10,000 in, 10,000 out at 1M) imported, then shared again: only the delta travels;
 * 5. streamed memberships (`segment.membership`) at STREAM_RATE events/s, produce to visible on the
 *    recipient's lists, alone and while another N-line import is received and applied;
 * 6. the peak RSS of every service over all of it.
 */
import { createConnection } from 'mysql2/promise';
import pino from 'pino';
import { Topics } from '@audx/contracts';
import { EventProducer, TopicNamer, buildMessage, createKafka } from '@audx/messaging';
import { testDatabase, testEnv, testKafkaSasl, Tenant, TestStack, waitFor } from '@audx/testing';
import { benchEnv, generatedLines, report, timed } from './bench-support';
import { RssSampler, getJson, postJson, streamPost } from './bench-http';

const N = Number(process.env.BENCH_MEMBERS ?? 1_000_000);
const KNOWN = Math.round(N * 0.8);
const CHANGE = Math.max(1, Math.round(N / 100));
const SEGMENT = '7001';
const STREAM_RATE = Number(process.env.BENCH_STREAM_RATE ?? 2000);
const STREAM_SECONDS = Number(process.env.BENCH_STREAM_SECONDS ?? 30);
const vid = (i: number) => `9${String(i).padStart(37, '0')}`;
const rid = (i: number) => `bench-${i}`;

async function importFile(stack: TestStack, tenant: Tenant, mode: 'full' | 'iter', count: number, line: (i: number) => string) {
  const started = process.hrtime.bigint();
  const accepted = await streamPost(`${stack.url('segment-ingestion')}/v1/imports?format=aam-outbound&mode=${mode}&dataSource=defaultDataSource`, tenant.headers, 'text/plain', count, line);
  if (accepted.status !== 202) throw new Error(`import refused: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  const acceptSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const importId = String(accepted.body.importId);
  const done = await waitFor(
    async () => {
      const r = await getJson<{ status: string; reconciliation: { matched: number; unmatched: number } }>(`${stack.url('segment-ingestion')}/v1/imports/${importId}`, tenant.headers);
      if (r.body.status === 'failed' || r.body.status === 'rejected') throw new Error(`import ${importId} ${r.body.status}: ${JSON.stringify(r.body)}`);
      return r.body.status === 'completed' && r.body;
    },
    { timeoutMs: 30 * 60_000, intervalMs: 100, what: `import ${importId} completed` },
  );
  return { importId, acceptSeconds, seconds: Number(process.hrtime.bigint() - started) / 1e9, ...done.reconciliation };
}

async function share(stack: TestStack, tenant: Tenant, listId: string) {
  const started = process.hrtime.bigint();
  const { exportId } = await postJson<{ exportId: string }>(`${stack.url('identity-reconciliation')}/v1/lists/${listId}/share`, tenant.headers, {
    dataSource: 'defaultDataSource',
    segmentId: SEGMENT,
    mode: 'incremental',
  });
  const requestSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const done = await waitFor(
    async () => {
      const r = await getJson<{ status: string; size: number; added: number; removed: number; version: number }>(`${stack.url('audience-publication')}/v1/exports/${exportId}`, tenant.headers);
      if (r.status === 200 && ['failed', 'rejected', 'superseded'].includes(r.body.status)) throw new Error(`export ${exportId} ${r.body.status}: ${JSON.stringify(r.body)}`);
      return r.status === 200 && r.body.status === 'published' && r.body;
    },
    { timeoutMs: 30 * 60_000, intervalMs: 100, what: `export ${exportId} published` },
  );
  return { exportId, requestSeconds, seconds: Number(process.hrtime.bigint() - started) / 1e9, ...done };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/**
 * Streams `segment.membership` at `rate` events/s for `seconds` (background users from the first
 * half of the known ones), and every 200 ms a probe event for a user of the second half: its
 * latency is the time until GET /v1/recipients shows the user in the probe segment's list.
 */
async function stream(stack: TestStack, tenant: Tenant, rate: number, seconds: number, round: number, during?: Promise<unknown>) {
  const env = testEnv();
  const kafka = createKafka({ brokers: env.kafkaBrokers.split(','), clientId: 'bench-stream', namespace: env.namespace, partitions: 3, replicationFactor: 1, sasl: testKafkaSasl() }, pino({ level: 'silent' }));
  const producer = new EventProducer(kafka, new TopicNamer(env.namespace), 'bench-stream');
  await producer.connect();
  const identity = stack.url('identity-reconciliation');
  const half = Math.floor(KNOWN / 2);
  const event = (i: number, segmentId: string) => ({ dataSource: 'defaultDataSource', userId: vid(i), segmentId, status: 'realized' as const, observedAt: new Date().toISOString() });
  const latencies: number[] = [];
  // the worst latency of the probes sent in each 5 s of the run: where in a bulk import the stream waited
  const worstBy5s = new Map<number, number>();
  let sent = 0;
  let next = 0;
  const started = Date.now();
  const background = setInterval(() => {
    const batch = Math.round(rate / 10);
    const messages = Array.from({ length: batch }, () => event(next++ % half, `${7100 + round}`));
    void producer.sendMessages(messages.map((p) => buildStreamMessage(tenant, p))).then(() => (sent += batch));
  }, 100);
  let probe = 0;
  const probeSegment = `${7200 + round}`;
  // one watcher reads the probe segment's list (only probes join it) every 25 ms and settles every
  // probe it now shows: a poll per probe would load the service it measures
  const waiting = new Map<string, number>(); // recipient id -> when its event was sent
  const settle = (id: string, latencyMs: number) => {
    latencies.push(latencyMs);
    const bucket = Math.floor((waiting.get(id)! - started) / 5000) * 5;
    worstBy5s.set(bucket, Math.max(worstBy5s.get(bucket) ?? 0, Math.min(latencyMs, 60_000)));
    waiting.delete(id);
  };
  let probeList: string | undefined;
  let watching = true;
  const watcher = (async () => {
    while (watching || waiting.size > 0) {
      probeList ??= (await getJson<{ items: { listId: string; segmentId: string | null }[] }>(`${identity}/v1/lists?limit=1000`, tenant.headers)).body.items.find(
        (l) => l.segmentId === probeSegment,
      )?.listId;
      if (probeList && waiting.size > 0) {
        const r = await getJson<{ items: string[] }>(`${identity}/v1/lists/${probeList}/members?limit=10000`, tenant.headers);
        const now = Date.now();
        for (const id of r.status === 200 ? r.body.items : []) {
          const t0 = waiting.get(id);
          if (t0 !== undefined) settle(id, now - t0);
        }
      }
      for (const [id, t0] of waiting) if (Date.now() - t0 > 60_000) settle(id, Infinity);
      await new Promise((res) => setTimeout(res, 25));
    }
  })();
  const prober = setInterval(() => {
    const i = half + round * Math.floor(half / 2) + probe++;
    waiting.set(rid(i), Date.now());
    void producer.sendMessages([buildStreamMessage(tenant, event(i, probeSegment))]);
  }, 200);
  await Promise.race([new Promise((res) => setTimeout(res, seconds * 1000)), during?.then(() => new Promise((res) => setTimeout(res, 1000)))].filter(Boolean));
  clearInterval(background);
  clearInterval(prober);
  watching = false;
  await watcher; // it returns once every probe is settled
  await producer.disconnect();
  // a probe not visible within 60 s counts as 60 s, and is counted apart
  const timedOut = latencies.filter((l) => !Number.isFinite(l)).length;
  const sorted = latencies.map((l) => (Number.isFinite(l) ? l : 60_000)).sort((a, b) => a - b);
  const worst = [...worstBy5s.entries()].sort((a, b) => a[0] - b[0]).map(([t, ms]) => `${t}s:${ms}`).join(',');
  return { events: sent, seconds: (Date.now() - started) / 1000, probes: sorted.length, timedOut, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted[sorted.length - 1], worstMsBy5s: worst };
}

function buildStreamMessage(tenant: Tenant, payload: { dataSource: string; userId: string; segmentId: string; status: 'realized'; observedAt: string }) {
  // an outside producer's events carry its org's access token
  return buildMessage('bench-stream', Topics.segmentMembership, tenant.orgId, payload, { headers: { authorization: `Bearer ${tenant.token}` } });
}

/** The same identifiers loaded by one LOAD DATA and resolved to recipients by one INSERT ... SELECT join. */
async function importFloor(orgId: string) {
  const env = benchEnv();
  const conn = await createConnection({ uri: env.mysqlUrl, database: testDatabase('audx_identity') });
  try {
    await conn.query('DROP TABLE IF EXISTS bench_floor_ids, bench_floor_members');
    await conn.query('CREATE TABLE bench_floor_ids (visitor_id VARCHAR(38) NOT NULL PRIMARY KEY) ENGINE=InnoDB');
    await conn.query('CREATE TABLE bench_floor_members (rid BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB');
    const loadSeconds = await timed(() =>
      conn.query({
        sql: "LOAD DATA LOCAL INFILE 'ids' INTO TABLE bench_floor_ids FIELDS TERMINATED BY '\\t' (visitor_id)",
        infileStreamFactory: () => generatedLines(N, vid),
      } as never),
    );
    const joinSeconds = await timed(() =>
      conn.query(
        `INSERT INTO bench_floor_members (rid) SELECT r.rid FROM bench_floor_ids i
           JOIN visitors v ON v.org_id = ? AND v.visitor_id = i.visitor_id
           JOIN recipients r ON r.org_id = ? AND r.recipient_id = v.recipient_id`,
        [orgId, orgId],
      ),
    );
    return { loadSeconds, joinSeconds, seconds: loadSeconds + joinSeconds };
  } finally {
    await conn.query('DROP TABLE IF EXISTS bench_floor_ids, bench_floor_members').catch(() => undefined);
    await conn.end();
  }
}

async function main() {
  benchEnv();
  process.stdout.write(`e2e bench: ${N.toLocaleString()} members (${KNOWN.toLocaleString()} known), all four services\n`);
  const stack = await TestStack.start(['segment-ingestion', 'identity-reconciliation', 'audience-publication'], { LOG_LEVEL: 'info' });
  const rss = new RssSampler(stack);
  rss.start();
  // the step logs of every share, every publication and every import apply that took a second or more
  const steps: string[] = [];
  for (const service of ['identity-reconciliation', 'audience-publication'] as const) {
    let partial = '';
    stack.service(service).watchOutput((chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"stepsMs"') && !line.includes('"msg":"import applied"')) continue;
        const entry = JSON.parse(line) as { msg: string; stepsMs?: Record<string, number>; steps?: Record<string, number>; ms?: number; matched?: number; identifiers?: number; size?: number };
        if (entry.stepsMs) steps.push(`${entry.msg} (${entry.identifiers ?? entry.size} identifiers): ${JSON.stringify(entry.stepsMs)}`);
        else if ((entry.ms ?? 0) >= 1000) steps.push(`${entry.msg} (${entry.matched} matched): ${JSON.stringify({ ...entry.steps, totalMs: entry.ms })}`);
      }
    });
  }
  try {
    const tenant = await stack.ims.tenant('bench');
    const identity = stack.url('identity-reconciliation');

    // recipients and links: the known 80 % of the file, plus those the 1 % change brings in
    const recipients = KNOWN + CHANGE;
    const idOf = (i: number) => (i < KNOWN ? i : N + (i - KNOWN));
    const upserted = await timed(async () => {
      const r = await streamPost(`${identity}/v1/recipients`, tenant.headers, 'application/x-ndjson', recipients, (i) =>
        JSON.stringify({ recipientId: rid(idOf(i)), email: `m${idOf(i)}@example.test` }),
      );
      if (r.status !== 200 || r.body.upserted !== recipients) throw new Error(`recipients: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    });
    report('e2e.recipients', { lines: recipients, seconds: upserted, linesPerSecond: Math.round(recipients / upserted), target: 25000 });
    const linked = await timed(async () => {
      const r = await streamPost(`${identity}/v1/visitors`, tenant.headers, 'application/x-ndjson', recipients, (i) => JSON.stringify({ visitorId: vid(idOf(i)), recipientId: rid(idOf(i)) }));
      if (r.status !== 200) throw new Error(`visitors: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    });
    report('e2e.visitorLinks', { lines: recipients, seconds: linked, linesPerSecond: Math.round(recipients / linked) });

    const imported = await importFile(stack, tenant, 'full', N, (i) => `${vid(i)} ${SEGMENT} `);
    const floor = await importFloor(tenant.orgId);
    report('e2e.import', {
      lines: N,
      matched: imported.matched,
      unmatched: imported.unmatched,
      acceptSeconds: imported.acceptSeconds,
      seconds: imported.seconds,
      linesPerSecond: Math.round(N / imported.seconds),
      floorSeconds: floor.seconds,
      floorLoadSeconds: floor.loadSeconds,
      floorJoinSeconds: floor.joinSeconds,
      timesFloor: imported.seconds / floor.seconds,
      target: '<= 20 s and <= 2.5 x floor',
    });

    const lists = await getJson<{ items: { listId: string; segmentId: string; size: number }[] }>(`${identity}/v1/lists?limit=100`, tenant.headers);
    const list = lists.body.items.find((l) => l.segmentId === SEGMENT);
    if (!list) throw new Error('no list for the imported segment');
    const first = await share(stack, tenant, list.listId);
    report('e2e.shareFirst', { members: list.size, published: first.size, requestSeconds: first.requestSeconds, seconds: first.seconds, target: '<= 15 s' });

    // 1 %: the first CHANGE members leave, CHANGE linked recipients outside the list join
    const change = await importFile(stack, tenant, 'iter', 2 * CHANGE, (i) => (i < CHANGE ? `${vid(i)}  ${SEGMENT}` : `${vid(N + i - CHANGE)} ${SEGMENT} `));
    report('e2e.importChange', { lines: 2 * CHANGE, seconds: change.seconds });
    const delta = await share(stack, tenant, list.listId);
    report('e2e.shareDelta', { added: delta.added, removed: delta.removed, size: delta.size, requestSeconds: delta.requestSeconds, seconds: delta.seconds, target: '<= 3 s' });

    report('e2e.stream', { rate: STREAM_RATE, ...(await stream(stack, tenant, STREAM_RATE, STREAM_SECONDS, 0)), target: 'p99 < 1000 ms' });
    // the same while another N-line file is received and applied (a new segment: a whole new list)
    const bulk = importFile(stack, tenant, 'full', N, (i) => `${vid(i)} 7009 `);
    const during = await stream(stack, tenant, STREAM_RATE, 600, 1, bulk);
    const bulkDone = await bulk;
    report('e2e.streamDuringImport', { rate: STREAM_RATE, ...during, importAcceptSeconds: bulkDone.acceptSeconds, importSeconds: bulkDone.seconds, target: 'p99 < 1000 ms' });
    // where the shares' and the big imports' time went (identity-reconciliation logs their steps)
    for (const line of steps) process.stdout.write(`  ${line}\n`);
  } finally {
    rss.stop();
    for (const [name, bytes] of rss.peak) report(`e2e.peakRss.${name}`, { mib: Math.round(bytes / 1048576), target: '< 300 MiB' });
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
