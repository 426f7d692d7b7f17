/**
 * The loop on sample data, run by `npm start` once the four services are ready: a demo org and
 * integration, recipients and visitor links, a segment file in the marketing cloud's format,
 * the resulting list, and its publication as a shared audience. Idempotent: credentials are kept
 * in .var/demo-credentials.json and every write is an upsert or a no-op the second time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateSample } from './sample-data';

const urls = {
  ims: process.env.IMS_URL ?? 'http://127.0.0.1:4100',
  ingestion: `http://127.0.0.1:${process.env.INGESTION_PORT ?? 4200}`,
  identity: `http://127.0.0.1:${process.env.IDENTITY_PORT ?? 4300}`,
  publication: `http://127.0.0.1:${process.env.PUBLICATION_PORT ?? 4400}`,
};
const admin = { clientId: process.env.IMS_ADMIN_CLIENT_ID ?? 'audx-ims-admin', clientSecret: process.env.IMS_ADMIN_CLIENT_SECRET ?? 'audx-ims-dev-only-admin-secret' };
// another stack (the compose one) keeps its demo credentials apart from the local stack's
const credentialsFile = path.resolve(process.env.AUDX_DEMO_CREDENTIALS ?? '.var/demo-credentials.json');
const SCOPES = ['config.write', 'profiles.write', 'segments.import', 'lists.write', 'read'];
const DEMO_ORG = 'Audience Exchange Demo';

type Json = Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(method: string, url: string, headers: Record<string, string>, body?: string | Json, type = 'application/json'): Promise<Json> {
  const res = await fetch(url, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': type }) }, body: typeof body === 'string' || body === undefined ? body : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${url} -> ${res.status} ${text.slice(0, 500)}`);
  return text ? (JSON.parse(text) as Json) : {};
}

async function token(clientId: string, clientSecret: string, scopes: string[]): Promise<string | null> {
  const res = await fetch(`${urls.ims}/ims/token/v3`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: scopes.join(',') }),
  });
  return res.status === 200 ? ((await res.json()) as { access_token: string }).access_token : null;
}

async function demoTenant() {
  if (fs.existsSync(credentialsFile)) {
    const saved = JSON.parse(fs.readFileSync(credentialsFile, 'utf8')) as { orgId: string; clientId: string; clientSecret: string };
    const t = await token(saved.clientId, saved.clientSecret, SCOPES);
    if (t) return { ...saved, token: t, created: false };
  }
  const adminToken = await token(admin.clientId, admin.clientSecret, ['ims.admin']);
  if (!adminToken) throw new Error('the IMS admin credentials were refused');
  const adminHeaders = { authorization: `Bearer ${adminToken}`, 'x-api-key': admin.clientId };
  const orgs = (await call('GET', `${urls.ims}/ims/organizations?limit=1000`, adminHeaders)) as { items?: { orgId: string; name: string }[] };
  const orgId = orgs.items?.find((o) => o.name === DEMO_ORG)?.orgId ?? ((await call('POST', `${urls.ims}/ims/organizations`, adminHeaders, { name: DEMO_ORG })) as { orgId: string }).orgId;
  const integration = (await call('POST', `${urls.ims}/ims/organizations/${encodeURIComponent(orgId)}/integrations`, adminHeaders, { name: 'demo', scopes: SCOPES })) as { clientId: string; clientSecret: string };
  fs.mkdirSync(path.dirname(credentialsFile), { recursive: true });
  fs.writeFileSync(credentialsFile, JSON.stringify({ orgId, ...integration }, null, 2), { mode: 0o600 });
  const t = await token(integration.clientId, integration.clientSecret, SCOPES);
  return { orgId, ...integration, token: t!, created: true };
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v) return v;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function main() {
  const started = Date.now();
  const tenant = await demoTenant();
  const h = { authorization: `Bearer ${tenant.token}`, 'x-api-key': tenant.clientId, 'x-gw-ims-org-id': tenant.orgId };
  console.log(`\n== Demo org ${tenant.orgId}`);
  console.log(`   client id ${tenant.clientId}${tenant.created ? `\n   client secret ${tenant.clientSecret} (shown once; kept in ${path.relative(process.cwd(), credentialsFile)})` : ` (credentials from ${path.relative(process.cwd(), credentialsFile)})`}`);
  console.log(`   get a token:\n   curl -s -X POST ${urls.ims}/ims/token/v3 -d grant_type=client_credentials -d client_id=${tenant.clientId} -d client_secret=${tenant.clientSecret} -d scope=${SCOPES.join(',')}`);

  const dataSources = (await call('GET', `${urls.identity}/v1/data-sources`, h)) as { items: { name: string; dpid: number }[] };
  const dpid = dataSources.items.find((d) => d.name === 'defaultDataSource')?.dpid ?? 100000;
  const sample = generateSample(dpid);
  await call('PUT', `${urls.identity}/v1/data-sources/crmHashedEmail`, h, {
    label: 'CRM hashed email', kind: 'declared', reconciliationKey: 'email', dpid: dpid + 1, destinationId: 9002, alias: 'AdobeCampaignID', hash: 'sha256', encryption: null, priority: 10, exportControls: [],
  });
  const r = await call('POST', `${urls.identity}/v1/recipients`, h, sample.recipients, 'application/x-ndjson');
  console.log(`\n== Recipients: ${JSON.stringify(r)}`);
  const v = await call('POST', `${urls.identity}/v1/visitors`, h, sample.visitors, 'application/x-ndjson');
  console.log(`== Visitor links: ${JSON.stringify(v)}`);
  for (const s of sample.segments) await call('PUT', `${urls.ingestion}/v1/segments/${s.id}`, h, { name: s.name, labels: s.labels });

  // a second run finds the file already imported and the audience already published: it shows them again
  const previous = ((await call('GET', `${urls.ingestion}/v1/imports?status=completed&limit=100`, h)) as { items: (Json & { importId: string; fileName: string | null })[] }).items.find(
    (i) => i.fileName === sample.segmentFile.name,
  );
  const imported = previous ?? ((await call('POST', `${urls.ingestion}/v1/imports?fileName=${sample.segmentFile.name}`, h, sample.segmentFile.content, 'text/plain')) as { importId: string });
  const done = await waitFor('the import to complete', async () => {
    const i = (await call('GET', `${urls.ingestion}/v1/imports/${imported.importId}`, h)) as { status: string };
    return i.status === 'completed' || i.status === 'failed' ? i : null;
  });
  console.log(`\n== Import ${imported.importId} of ${sample.segmentFile.name}: ${done.status}${previous ? ' (imported by an earlier run)' : ''}`);
  console.log(`   receipt ${JSON.stringify((done as Json).receipt)}`);
  console.log(`   errors ${JSON.stringify((done as Json).errors)}`);
  console.log(`   reconciliation ${JSON.stringify((done as Json).reconciliation)}`);

  const lists = (await call('GET', `${urls.identity}/v1/lists?limit=100`, h)) as { items: { listId: string; segmentId: string | null; size: number; name: string }[] };
  const list = lists.items.find((l) => l.segmentId === '1001');
  if (!list) throw new Error('no list for segment 1001');
  console.log(`\n== List ${list.listId} (${list.name}): ${list.size} members`);

  const audiences = (await call('GET', `${urls.publication}/v1/audiences?limit=100`, h)) as { items: (Json & { audienceId: string; segmentId: string | null; dataSource: string; version: number })[] };
  const published = audiences.items.find((a) => a.segmentId === '1001' && a.dataSource === 'defaultDataSource');
  const exported =
    previous && published
      ? { ...published, note: 'published by an earlier run' }
      : await share(h, list.listId);
  console.log(`\n== Shared audience ${exported.audienceId} version ${exported.version}: ${JSON.stringify(exported)}`);
  const all = (await call('GET', `${urls.publication}/v1/audiences/${exported.audienceId}/versions`, h)) as unknown as { version: number; files: { fileName: string }[] }[];
  const latest = all.find((x) => x.version === exported.version);
  for (const f of latest?.files ?? []) console.log(`   outbound file ${path.resolve(process.env.OUTBOX_DIR ?? '.var/outbox', tenant.orgId, f.fileName)}`);
  console.log(`\nThe loop took ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

async function share(h: Record<string, string>, listId: string): Promise<Json & { audienceId: string; version: number }> {
  const { exportId } = (await call('POST', `${urls.identity}/v1/lists/${listId}/share`, h, { dataSource: 'defaultDataSource', segmentId: '1001', audienceName: 'Visited pricing page', mode: 'incremental' })) as { exportId: string };
  return waitFor('the audience to be published', async () => {
    const res = await fetch(`${urls.publication}/v1/exports/${exportId}`, { headers: h });
    if (res.status !== 200) return null;
    const e = (await res.json()) as Json & { audienceId: string; version: number };
    return ['published', 'rejected', 'superseded', 'failed'].includes(String(e.status)) ? e : null;
  });
}

main().catch((err) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
