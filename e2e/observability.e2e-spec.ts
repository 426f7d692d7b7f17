/**
 * The alert rules and the Grafana dashboard in deploy/observability name only metrics the four
 * running services export, and the metrics an operator needs move when the system works.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { Tenant, TestStack, repoRoot } from '@audx/testing';
import { Client, vid } from './client';

interface Rule {
  alert: string;
  expr: string;
  labels?: { severity?: string };
  annotations?: { summary?: string; description?: string };
}

const dir = path.join(repoRoot, 'deploy/observability');
const rules = (parse(fs.readFileSync(path.join(dir, 'alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(fs.readFileSync(path.join(dir, 'grafana-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };

/** The metric names a PromQL expression reads (histogram series map to their histogram). */
function metricsOf(expr: string): string[] {
  return [...expr.matchAll(/\b((?:audx|process)_[a-z_]+)\b/g)].map((m) => m[1].replace(/_(bucket|sum|count)$/, ''));
}

/** name -> value of the series with exactly these labels (service aside), from a /metrics text. */
function sample(text: string, name: string, labels: Record<string, string>): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

describe('metrics, alerts and the dashboard', () => {
  let stack: TestStack;
  let tenant: Tenant;
  const scrape = (service: string) => fetch(`${stack.service(service as never).url}/metrics`).then((r) => r.text());

  beforeAll(async () => {
    stack = await TestStack.start(['segment-ingestion', 'identity-reconciliation', 'audience-publication']);
    tenant = await stack.ims.tenant('observability');
  });
  afterAll(async () => stack?.stop());

  it('every alert has an expression, a severity and a summary that says what to do', () => {
    expect(rules.length).toBeGreaterThanOrEqual(8);
    for (const r of rules) {
      expect(r).toMatchObject({ alert: expect.stringMatching(/^Audx[A-Za-z]+$/), expr: expect.any(String), labels: { severity: expect.stringMatching(/^(page|warn|info)$/) } });
      expect(r.annotations?.summary).toBeTruthy();
      expect(r.annotations?.description).toBeTruthy();
    }
  });

  it('names only metrics the services export', async () => {
    const exported = new Set<string>();
    for (const s of ['ims', 'segment-ingestion', 'identity-reconciliation', 'audience-publication']) {
      for (const m of (await scrape(s)).matchAll(/^# HELP (\S+) /gm)) exported.add(m[1]);
    }
    const named = new Set([...rules.flatMap((r) => metricsOf(r.expr)), ...dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricsOf(t.expr)))]);
    expect(named.size).toBeGreaterThan(15);
    expect([...named].filter((n) => !exported.has(n))).toEqual([]);
  });

  it('moves the figures an operator watches: readiness, refusals, lines, statuses, resolution, list writes, share time', async () => {
    const ingestion = await scrape('segment-ingestion');
    expect(sample(ingestion, 'audx_ready', { check: 'mysql' })).toBe(1);
    expect(sample(ingestion, 'audx_ready', { check: 'kafka' })).toBe(1);
    expect(sample(ingestion, 'audx_ready', { check: 'revocations' })).toBe(1);

    const refusedBefore = sample(ingestion, 'audx_tokens_refused_total', { reason: 'missing_token' }) ?? 0;
    expect((await fetch(`${stack.service('segment-ingestion').url}/v1/imports`)).status).toBe(401);

    const client = new Client(stack, tenant);
    await client.ok('identity-reconciliation', 'POST', '/v1/recipients', Array.from({ length: 10 }, (_, i) => JSON.stringify({ recipientId: `o${i}` })).join('\n') + '\n', 'application/x-ndjson');
    await client.ok('identity-reconciliation', 'POST', '/v1/visitors', Array.from({ length: 8 }, (_, i) => JSON.stringify({ visitorId: vid(i + 1), recipientId: `o${i}` })).join('\n') + '\n', 'application/x-ndjson');
    const done = await client.importFile('fileName=S3_8080_100000_iter_1764489600000.sync', [...Array.from({ length: 10 }, (_, i) => `${vid(i + 1)} 9100`), 'bad 9100'].join('\n'));
    expect(done.status).toBe('completed');
    const list = await client.listOf('9100');
    const shared = await client.share(list.listId, { dataSource: 'defaultDataSource', segmentId: '9100' });
    expect(shared.status).toBe('published');

    const after = await scrape('segment-ingestion');
    expect(sample(after, 'audx_tokens_refused_total', { reason: 'missing_token' })).toBe(refusedBefore + 1);
    expect(sample(after, 'audx_import_lines_total', { outcome: 'received' })).toBe(11);
    expect(sample(after, 'audx_import_lines_total', { outcome: 'invalid_id' })).toBe(1);
    expect(sample(after, 'audx_imports', { status: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'audx_import_match_rate_count', {})).toBe(1);

    const identity = await scrape('identity-reconciliation');
    expect(sample(identity, 'audx_identifiers_resolved_total', { kind: 'visitor', outcome: 'matched' })).toBe(8);
    expect(sample(identity, 'audx_identifiers_resolved_total', { kind: 'visitor', outcome: 'unmatched' })).toBe(2);
    expect(sample(identity, 'audx_list_member_writes_total', { op: 'added' })).toBe(8);
    expect(sample(identity, 'audx_share_seconds_count', { kind: 'whole' })).toBe(1);
  });
});
