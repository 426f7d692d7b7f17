import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServiceProcess, TestStack, freePort, json, localKafkaUsers, repoRoot, runStackScript, waitFor } from '@audx/testing';

function clusterIdStartingWithDash(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (id.startsWith('-')) return id;
  }
}

async function readyStatus(service: ServiceProcess): Promise<number> {
  return (await fetch(`${service.url}/ready`)).status;
}

describe('service lifecycle (real processes)', () => {
  it('refuses to boot on an invalid environment and lists every problem', () => {
    const r = spawnSync(process.execPath, ['-r', '@swc-node/register', path.join(repoRoot, 'apps/audience-publication/src/main.ts')], {
      cwd: repoRoot,
      env: { ...process.env, PORT: 'eighty', KAFKA_BROKERS: 'no-port-here', MYSQL_URL: 'postgres://x' },
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('invalid configuration');
    expect(r.stderr).toMatch(/PORT: /);
    expect(r.stderr).toMatch(/KAFKA_BROKERS: must be host:port/);
    expect(r.stderr).toMatch(/MYSQL_URL: must be a mysql:\/\/ URL/);
  });

  it('serves health, metrics and OpenAPI, and exits 0 on SIGTERM', async () => {
    const service = await (await ServiceProcess.create('audience-publication')).start();
    try {
      expect(await json(await fetch(`${service.url}/health`))).toEqual({ status: 'ok' });
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toContain('process_cpu_user_seconds_total');
      expect(metrics).toContain('audx_http_request_duration_seconds');
      const docs = await fetch(`${service.url}/docs/openapi.json`);
      expect(docs.status).toBe(200);
      const notFound = await fetch(`${service.url}/no/such/path`);
      expect(notFound.status).toBe(404);
      expect((await json<{ error: unknown }>(notFound)).error).toMatchObject({ code: 'not_found', requestId: expect.any(String) });
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });

  it('answers /ready 503 and refuses tokens while its broker is down (the revocation feed fails closed), and recovers without a restart', async () => {
    // A broker of its own, so that stopping it disturbs nothing else.
    const port = await freePort();
    const controllerPort = await freePort();
    const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audx-ready-'));
    const env = { KAFKA_BROKERS: `127.0.0.1:${port}`, KAFKA_CONTROLLER_PORT: String(controllerPort), AUDX_VAR_DIR: varDir };
    // A cluster id beginning with '-' once made the storage tool read it as an option (a CI run
    // failed on one of those 1-in-64 ids); the stack script must format with it all the same.
    fs.mkdirSync(path.join(varDir, 'kafka'), { recursive: true });
    fs.writeFileSync(path.join(varDir, 'kafka', 'cluster.id'), clusterIdStartingWithDash());
    runStackScript('kafka', ['start'], env);
    expect(fs.readFileSync(path.join(varDir, 'kafka', 'logs', 'meta.properties'), 'utf8')).toMatch(/^cluster\.id=-/m);
    const stack = await TestStack.start(['audience-publication'], { KAFKA_BROKERS: env.KAFKA_BROKERS, REVOCATION_FEED_STALE_SECONDS: '3' }, { kafkaUsers: localKafkaUsers(varDir) ?? undefined });
    const service = stack.service('audience-publication');
    try {
      const tenant = await stack.ims.tenant('revocation feed');
      const audiences = () => fetch(`${service.url}/v1/audiences`, { headers: tenant.headers }).then((r) => r.status);
      await waitFor(async () => (await readyStatus(service)) === 200 && (await audiences()) === 200, { timeoutMs: 30000, what: 'ready, and a token accepted' });
      runStackScript('kafka', ['stop'], env);
      await waitFor(async () => (await readyStatus(service)) === 503, { timeoutMs: 30000, what: '/ready 503' });
      const body = await json<{ checks: Record<string, string> }>(await fetch(`${service.url}/ready`));
      expect(body.checks.mysql).toBe('ok');
      expect(body.checks.kafka).toBe('down');
      expect((await fetch(`${service.url}/health`)).status).toBe(200);
      // a revocation issued now could not reach the service: it must not keep taking tokens
      await waitFor(async () => (await audiences()) === 503, { timeoutMs: 30000, what: 'tokens refused' });
      runStackScript('kafka', ['start'], env);
      await waitFor(async () => (await readyStatus(service)) === 200 && (await audiences()) === 200, { timeoutMs: 90000, what: 'ready, and tokens taken again' }).catch(async (err: unknown) => {
        // say which half never came back, with the service's own account of its feed and checks
        const ready = await (await fetch(`${service.url}/ready`)).text();
        const feed = service.output.join('').split('\n').filter((l) => /revocation|dependency/.test(l)).slice(-40).join('\n');
        throw new Error(`${String(err)}\n/ready: ${ready}\n/v1/audiences: ${await audiences()}\n${feed}`);
      });
    } finally {
      await stack.stop();
      runStackScript('kafka', ['stop'], env);
      fs.rmSync(varDir, { recursive: true, force: true });
    }
  });
});
