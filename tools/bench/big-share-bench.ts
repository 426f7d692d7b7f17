/**
 * One tenant's huge share must not slow another's small one. Through the running services, as a
 * client does, on the broker of this run at Kafka's default `message.max.bytes`:
 *
 * 1. org "big": BIG_SHARE_MEMBERS recipients with an email through POST /v1/recipients, a
 *    declared data source on it, and a list made of all of them through POST /v1/lists/{id}/members;
 * 2. org "small": 30 recipients, the same data source, a 30-member list;
 * 3. the big list shared (request to version published, files written), and meanwhile the small
 *    list shared again and again: each small share's request to published is one sample, so the
 *    samples cover every phase of the big one (computed, sent, staged, published).
 */
import pino from 'pino';
import { benchEnv, report, timed } from './bench-support';
import { RssSampler, getJson, postJson, streamPost } from './bench-http';
import { Tenant, TestStack } from '@audx/testing';

const N = Number(process.env.BENCH_BIG_SHARE_MEMBERS ?? 5_000_000);
const SMALL = 30;
const log = pino({ level: 'info' });
/** The export id of the share asked for last. */
let lastExportId = '';

interface ExportView {
  status: string;
  size?: number;
}

async function dataSource(identity: string, tenant: Tenant): Promise<void> {
  const res = await fetch(`${identity}/v1/data-sources/emails`, {
    method: 'PUT',
    headers: { ...tenant.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ label: 'emails', kind: 'declared', reconciliationKey: 'email', dpid: 4711 }),
  });
  if (res.status >= 300) throw new Error(`data source: ${res.status} ${await res.text()}`);
}

/** `count` recipients with an email, and a list holding all of them. */
async function listOf(identity: string, tenant: Tenant, prefix: string, count: number): Promise<{ listId: string; recipientsSeconds: number; membersSeconds: number }> {
  const recipientsSeconds = await timed(async () => {
    const r = await streamPost(`${identity}/v1/recipients`, tenant.headers, 'application/x-ndjson', count, (i) => JSON.stringify({ recipientId: `${prefix}${i}`, email: `${prefix}${i}@example.test` }));
    if (r.status !== 200 || r.body.upserted !== count) throw new Error(`recipients: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  });
  await dataSource(identity, tenant);
  const { listId } = await postJson<{ listId: string }>(`${identity}/v1/lists`, tenant.headers, { name: `${prefix} all`, recipientIds: [] });
  const membersSeconds = await timed(async () => {
    const r = await streamPost(`${identity}/v1/lists/${listId}/members`, tenant.headers, 'application/x-ndjson', count, (i) => JSON.stringify({ recipientId: `${prefix}${i}` }));
    if (r.status !== 200) throw new Error(`members: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  });
  return { listId, recipientsSeconds, membersSeconds };
}

/** Where a share's time went: made by identity-reconciliation, then its first chunk received by publication, then published. */
async function stagesOf(stack: TestStack, tenant: Tenant, exportId: string, askedAt: number): Promise<Record<string, number>> {
  const made = await getJson<{ createdAt: string }>(`${stack.url('identity-reconciliation')}/v1/shares/${exportId}`, tenant.headers);
  const published = await getJson<{ createdAt: string; finishedAt: string }>(`${stack.url('audience-publication')}/v1/exports/${exportId}`, tenant.headers);
  const at = (iso: string) => Date.parse(iso) - askedAt;
  return { madeMs: at(made.body.createdAt), receivedMs: at(published.body.createdAt), publishedMs: at(published.body.finishedAt) };
}

/** Asks for a share and answers a promise of the seconds until its version is published. */
async function share(stack: TestStack, tenant: Tenant, listId: string, audienceName: string): Promise<() => Promise<number>> {
  const started = process.hrtime.bigint();
  const { exportId } = await postJson<{ exportId: string }>(`${stack.url('identity-reconciliation')}/v1/lists/${listId}/share`, tenant.headers, { dataSource: 'emails', audienceName, mode: 'full' });
  lastExportId = exportId;
  return async () => {
    for (;;) {
      const r = await getJson<ExportView>(`${stack.url('audience-publication')}/v1/exports/${exportId}`, tenant.headers);
      if (r.status === 200 && ['failed', 'rejected', 'superseded'].includes(r.body.status)) throw new Error(`export ${exportId} ${r.body.status}: ${JSON.stringify(r.body)}`);
      if (r.status === 200 && r.body.status === 'published') return Number(process.hrtime.bigint() - started) / 1e9;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
}

async function main() {
  benchEnv();
  process.stdout.write(`big share bench: ${N.toLocaleString()} members beside a ${SMALL}-member share of another org\n`);
  const stack = await TestStack.start(['identity-reconciliation', 'audience-publication'], { LOG_LEVEL: 'info' });
  const rss = new RssSampler(stack);
  rss.start();
  try {
    const identity = stack.url('identity-reconciliation');
    const bigOrg = await stack.ims.tenant('big share');
    const smallOrg = await stack.ims.tenant('small share');
    const big = await listOf(identity, bigOrg, 'big-', N);
    report('bigShare.load', { recipients: N, recipientsPerSecond: Math.round(N / big.recipientsSeconds), membersPerSecond: Math.round(N / big.membersSeconds) });
    const small = await listOf(identity, smallOrg, 'small-', SMALL);

    const bigPublished = (await share(stack, bigOrg, big.listId, 'everyone'))();
    let bigDone = false;
    let bigSeconds = NaN;
    const bigFinished = bigPublished.then((s) => {
      bigDone = true;
      bigSeconds = s;
    });
    const samples: number[] = [];
    let worst: { seconds: number; exportId: string; askedAt: number } | null = null;
    while (!bigDone) {
      const askedAt = Date.now();
      const asked = await share(stack, smallOrg, small.listId, `beside ${samples.length}`);
      const waited = await asked();
      samples.push(waited);
      if (!worst || waited > worst.seconds) worst = { seconds: waited, exportId: lastExportId, askedAt };
      log.info({ sample: samples.length, seconds: Math.round(waited * 100) / 100 }, 'small share published during the big one');
      await Promise.race([bigFinished, new Promise((r) => setTimeout(r, 5000))]);
    }
    await bigFinished;
    const sorted = [...samples].sort((a, b) => a - b);
    report('bigShare.big', { members: N, seconds: bigSeconds, target: 'publishes' });
    report('bigShare.smallBeside', { samples: samples.length, p50Seconds: sorted[Math.floor(sorted.length / 2)] ?? NaN, maxSeconds: sorted[sorted.length - 1] ?? NaN, target: '<= 5 s' });
    // the slowest small share, by stage: made (identity), first chunk received and published (publication), ms after it was asked
    if (worst) report('bigShare.smallBesideSlowest', { seconds: worst.seconds, ...(await stagesOf(stack, smallOrg, worst.exportId, worst.askedAt)) });
  } finally {
    rss.stop();
    for (const [name, bytes] of rss.peak) report(`bigShare.peakRss.${name}`, { mib: Math.round(bytes / 1048576), target: '< 300 MiB' });
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
