/**
 * The `audx` CLI as a person or a script runs it: a separate process (`apps/cli/bin/audx.mjs`,
 * what `npx audx` runs) against the four running services: login, a real file imported with its
 * receipt, lists, a share to its version, a download of the version's files, and the exit code of
 * each kind of failure.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Topics } from '@audx/contracts';
import { Tenant, TestStack, repoRoot, waitFor } from '@audx/testing';
import { Client, rawEvent, testProducer, vid } from './client';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the audx CLI (a real process against the running services)', () => {
  let stack: TestStack;
  let tenant: Tenant;
  let readOnly: Tenant;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'audx-cli-'));
  const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'audx-cli-outbox-'));
  let env: NodeJS.ProcessEnv = {};

  const audx = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(repoRoot, 'apps/cli/bin/audx.mjs'), ...args], { cwd: work, env: { PATH: process.env.PATH, ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const jsonOf = <T>(r: Run): T => {
    if (r.code !== 0) throw new Error(`audx exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };

  beforeAll(async () => {
    stack = await TestStack.start(['segment-ingestion', 'identity-reconciliation', 'audience-publication'], { OUTBOX_DIR: outbox });
    tenant = await stack.ims.tenant('cli');
    readOnly = await stack.ims.tenant('cli read only', ['read']);
    env = {
      AUDX_HOME: path.join(work, 'home'),
      AUDX_IMS_URL: stack.ims.url,
      AUDX_INGESTION_URL: stack.service('segment-ingestion').url,
      AUDX_IDENTITY_URL: stack.service('identity-reconciliation').url,
      AUDX_PUBLICATION_URL: stack.service('audience-publication').url,
    };
    const client = new Client(stack, tenant);
    const recipients = Array.from({ length: 40 }, (_, i) => JSON.stringify({ recipientId: `c${i + 1}`, email: `c${i + 1}@example.test` })).join('\n');
    await client.ok('identity-reconciliation', 'POST', '/v1/recipients', recipients + '\n', 'application/x-ndjson');
    const links = Array.from({ length: 30 }, (_, i) => JSON.stringify({ visitorId: vid(i + 1), recipientId: `c${i + 1}` })).join('\n');
    await client.ok('identity-reconciliation', 'POST', '/v1/visitors', links + '\n', 'application/x-ndjson');
  });

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(outbox, { recursive: true, force: true });
  });

  it('answers 3 before login and after credentials are refused, and logs in with the secret from the environment', async () => {
    const before = await audx(['imports']);
    expect(before.code).toBe(3);
    expect(before.stderr).toContain('not logged in');
    expect(before.stderr).toContain('audx login');
    const refused = await audx(['login', '--client-id', tenant.clientId, '--client-secret', 'wrong']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/login refused: 401/);
    const login = jsonOf<{ orgId: string; expiresAt: string }>(await audx(['--json', 'login'], { AUDX_CLIENT_ID: tenant.clientId, AUDX_CLIENT_SECRET: tenant.clientSecret }));
    expect(login.orgId).toBe(tenant.orgId);
    expect(Date.parse(login.expiresAt)).toBeGreaterThan(Date.now());
    // the session holds the secret: its owner's only
    expect(fs.statSync(path.join(work, 'home', 'session.json')).mode & 0o077).toBe(0);
  });

  it('imports a real file with a progress bar, then prints the receipt and the match rate', async () => {
    const file = path.join(work, 'S3_4242_100000_iter_1764489600000.sync');
    fs.writeFileSync(file, [...Array.from({ length: 40 }, (_, i) => `${vid(i + 1)} 7001`), 'not-an-id 7001'].join('\n') + '\n');
    const people = await audx(['import', file]);
    expect(people.code).toBe(0);
    expect(people.stderr).toMatch(/uploading/);
    expect(people.stdout).toMatch(/: completed/);
    expect(people.stdout).toMatch(/recordsReceived\s*│\s*41/);
    expect(people.stdout).toMatch(/matched 30, unmatched 10, invalid 0, match rate 75.0 %/);
    expect(people.stdout).toContain('line 41: ');

    const imports = jsonOf<{ importId: string; status: string }[]>(await audx(['--json', 'imports', '--status', 'completed']));
    expect(imports.map((i) => i.status)).toEqual(['completed']);
  });

  it('lists, shares a list to a published version and downloads its files', async () => {
    const lists = jsonOf<{ listId: string; segmentId: string; size: number }[]>(await audx(['--json', 'lists']));
    const list = lists.find((l) => l.segmentId === '7001')!;
    expect(list.size).toBe(30);
    const table = await audx(['lists']);
    expect(table.stdout).toContain(list.listId);

    const shared = jsonOf<{ status: string; audienceId: string; version: number; size: number }>(await audx(['--json', 'share', list.listId, '--data-source', 'defaultDataSource', '--segment-id', '7001']));
    expect(shared).toMatchObject({ status: 'published', version: 1, size: 30 });
    const audiences = await audx(['audiences']);
    expect(audiences.stdout).toContain(shared.audienceId);

    const out = path.join(work, 'downloaded');
    const got = jsonOf<{ version: number; files: { path: string; bytes: number }[] }>(await audx(['--json', 'download', shared.audienceId, '--out', out]));
    expect(got.version).toBe(1);
    expect(got.files.length).toBeGreaterThan(0);
    const data = got.files.find((f) => !f.path.endsWith('.info'))!;
    expect(fs.readFileSync(data.path).length).toBe(data.bytes);
  });

  it('lists the dead letters of every service, replays one once and discards another', async () => {
    const producer = testProducer('e2e-cli');
    try {
      await producer.sendRaw([rawEvent(tenant.orgId, Topics.segmentImported, {}), rawEvent(tenant.orgId, Topics.segmentImported, {})]);
    } finally {
      await producer.disconnect();
    }
    const dead = await waitFor(async () => {
      const items = jsonOf<{ deadLetterId: string; service: string; status: string; reason: string }[]>(await audx(['--json', 'dlq', 'list', '--status', 'dead']));
      return items.length >= 2 ? items : undefined;
    }, { timeoutMs: 30000, what: 'two dead letters listed' });
    expect(dead.every((d) => d.service === 'identity' && /invalid segment\.imported payload/.test(d.reason))).toBe(true);
    const people = await audx(['dlq', 'list']);
    expect(people.stdout).toContain(dead[0].deadLetterId);

    const replay = await audx(['dlq', 'replay', dead[0].deadLetterId]);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/replayed/);
    const twice = await audx(['dlq', 'replay', dead[0].deadLetterId]);
    expect(twice.code).toBe(5);
    expect(twice.stderr).toMatch(/409/);
    expect((await audx(['dlq', 'discard', dead[1].deadLetterId])).code).toBe(0);
    expect((await audx(['dlq', 'discard', 'dlq_nosuchletter'])).code).toBe(4);
  });

  it('gives each kind of failure its own exit code and a hint', async () => {
    expect((await audx(['share'])).code).toBe(2); // a missing argument
    expect((await audx(['imports', '--limit', 'many'])).code).toBe(2);
    expect((await audx(['import', path.join(work, 'no-such-file')])).code).toBe(2);
    const missing = await audx(['download', 'aud_doesnotexist']);
    expect(missing.code).toBe(4);
    const refused = await audx(['share', 'lst_doesnotexist', '--data-source', 'defaultDataSource']);
    expect(refused.code).toBe(4);
    const badSource = await audx(['share', (jsonOf<{ listId: string }[]>(await audx(['--json', 'lists'])))[0].listId, '--data-source', 'noSuchSource']);
    expect(badSource.code).toBe(5);
    const down = await audx(['imports'], { AUDX_INGESTION_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(6);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127.0.0.1:9/);

    // a client without the scope: 3, with what to do
    const scoped = { AUDX_HOME: path.join(work, 'read-only-home') };
    expect((await audx(['login', '--client-id', readOnly.clientId, '--client-secret', readOnly.clientSecret], scoped)).code).toBe(0);
    const file = path.join(work, 'S3_4242_100000_iter_1764489600001.sync');
    fs.writeFileSync(file, `${vid(1)} 7002\n`);
    const forbidden = await audx(['import', file], scoped);
    expect(forbidden.code).toBe(3);
    expect(forbidden.stderr).toMatch(/403/);
  });
});
