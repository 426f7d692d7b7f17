import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, repoRoot } from '@audx/testing';

/**
 * docker-compose.yml as a user runs it, on this kind of machine (tools/containers/compose-stack.sh:
 * the base file with deploy/compose.loopback.yml, images built locally, host networking on free
 * loopback ports), then the demo loop of `npm start` against it: an org, recipients, a segment
 * file imported, its list shared and published.
 */
function engineMissing(): string | null {
  if (spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 15000 }).status !== 0) return 'no Docker engine answers';
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status !== 0) return 'docker-compose is not installed';
  return null;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const missing = engineMissing();
if (missing) process.stdout.write(`[compose] the compose stack test does not run here: ${missing}\n`);
const withEngine = missing ? it.skip : it;

describe('the compose stack (docker-compose.yml on a loopback-only engine)', () => {
  const env: NodeJS.ProcessEnv = {};
  let work = '';

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'audx-compose-'));
    const ports = ['MYSQL_HOST_PORT', 'KAFKA_HOST_PORT', 'KAFKA_CONTROLLER_PORT', 'IMS_PORT', 'INGESTION_PORT', 'IDENTITY_PORT', 'PUBLICATION_PORT'];
    for (const name of ports) env[name] = String(await freePort());
    Object.assign(env, { COMPOSE_PROJECT_NAME: `audx-compose-${process.pid}` });
  });

  afterAll(async () => {
    if (missing) return;
    const down = await run('bash', ['tools/containers/compose-stack.sh', 'down'], env, 120_000);
    if (down.code !== 0) process.stdout.write(`[compose] down failed:\n${down.output.slice(-3000)}\n`);
    fs.rmSync(work, { recursive: true, force: true });
  });

  withEngine(
    'builds the images, brings every service up healthy, and runs the demo loop to a published audience',
    async () => {
      const up = await run('bash', ['tools/containers/compose-stack.sh', 'up'], env, 840_000);
      process.stdout.write(`${up.output.split('\n').filter((l) => l.startsWith('[')).join('\n')}\n`);
      if (up.code !== 0) throw new Error(`compose-stack.sh up failed (${up.code}):\n${up.output.slice(-6000)}`);

      const demo = await run(
        process.execPath,
        ['-r', '@swc-node/register', 'tools/demo/run-demo.ts'],
        {
          IMS_URL: `http://127.0.0.1:${env.IMS_PORT}`,
          INGESTION_PORT: env.INGESTION_PORT,
          IDENTITY_PORT: env.IDENTITY_PORT,
          PUBLICATION_PORT: env.PUBLICATION_PORT,
          // the compose file's published local defaults
          IMS_ADMIN_CLIENT_ID: 'audx-operator',
          IMS_ADMIN_CLIENT_SECRET: 'local-dev-operator-secret',
          AUDX_DEMO_CREDENTIALS: path.join(work, 'demo-credentials.json'),
        },
        240_000,
      );
      if (demo.code !== 0) throw new Error(`the demo failed against the compose stack (${demo.code}):\n${demo.output.slice(-6000)}`);
      expect(demo.output).toMatch(/== Import \S+ of \S+: completed/);
      expect(demo.output).toMatch(/== Shared audience \S+ version 1: .*"status":"published"/);

      // the services run in containers of the images just built, on the machine's loopback only
      const ids = spawnSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${env.COMPOSE_PROJECT_NAME}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      expect(ids).toHaveLength(6);
      const modes = spawnSync('docker', ['inspect', '-f', '{{.Config.Image}} {{.HostConfig.NetworkMode}}', ...ids], { encoding: 'utf8' }).stdout;
      expect(modes).toMatch(/audx\/ims:local host/);
      expect(modes.split('\n').filter(Boolean).every((l) => l.endsWith(' host'))).toBe(true);
    },
    1_200_000,
  );
});
