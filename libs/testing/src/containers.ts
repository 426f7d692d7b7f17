import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from './free-port';
import { repoRoot } from './stack';
import { waitFor } from './wait';

// no import of workspace libraries here: jest's global setup loads this file without the path mapping

/** The run's dependencies in containers: where they answer, and how to stop them. */
export interface ContainerDeps {
  mysqlUrl: string;
  kafkaBrokers: string;
  /** The broker's configuration and credentials (AUDX_VAR_DIR for the run). */
  varDir: string;
  summary: string;
  stop(): Promise<void>;
}

interface KafkaPlan {
  version: string;
  binds: { source: string; target: string; mode: 'ro' | 'rw' }[];
  command: string[];
  serverLog: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The local image the containers run (tools/containers/images.sh builds it, with no registry). */
export function depsImage(): string {
  return fs.readFileSync(path.join(repoRoot, 'tools/containers/image-name.mjs'), 'utf8').match(/DEPS_IMAGE = '([^']+)'/)![1];
}

/**
 * Why the run cannot use containers (no engine, no image), or null when it can. Asked of the
 * engine through the docker CLI: testcontainers would otherwise try registries for what is missing.
 */
export function containersUnavailable(): string | null {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 15000 });
  if (info.status !== 0) return 'no Docker engine answers';
  const image = spawnSync('docker', ['image', 'inspect', depsImage()], { encoding: 'utf8', timeout: 15000 });
  if (image.status !== 0) return `the image ${depsImage()} is not built (bash tools/containers/images.sh)`;
  return null;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * MariaDB and the secured Kafka broker, each in a container of the local image started through
 * testcontainers, on free loopback ports with host networking (no bridge, no container IP). The
 * broker is configured by tools/stack/kafka.mjs exactly as the machine's one is (SASL/SCRAM,
 * ACLs, Kafka's default message limits); its jars and data folder are mounted at their own paths.
 */
export async function startContainerDeps(varDir: string): Promise<ContainerDeps> {
  // Ryuk (the reaper) is an image from a registry this machine cannot reach; teardown stops ours
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  // the engine has no bridge network to find a gateway on: every container is reached on loopback
  process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
  const { GenericContainer } = await import('testcontainers');
  const image = depsImage();
  const started = Date.now();
  const [mysqlPort, kafkaPort, controllerPort] = [await freePort(), await freePort(), await freePort()];
  fs.rmSync(varDir, { recursive: true, force: true });
  fs.mkdirSync(varDir, { recursive: true });
  const planRun = spawnSync(process.execPath, [path.join(repoRoot, 'tools/stack/kafka.mjs'), 'container-plan'], {
    env: { ...process.env, KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`, KAFKA_CONTROLLER_PORT: String(controllerPort), AUDX_VAR_DIR: varDir, KAFKA_SECURITY: 'sasl' },
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (planRun.status !== 0) throw new Error(`kafka.mjs container-plan failed: ${planRun.stderr}`);
  const plan = JSON.parse(planRun.stdout.trim().split('\n').pop()!) as KafkaPlan;
  const label = { 'audx.test-deps': String(process.pid) };

  const db = `/tmp/audx-db-${mysqlPort}`;
  const mysql = await new GenericContainer(image)
    .withNetworkMode('host')
    .withLabels(label)
    .withCommand([
      'sh',
      '-c',
      `mariadb-install-db --user=root --datadir=${db} --auth-root-authentication-method=normal --skip-test-db >/tmp/install.log 2>&1 || { cat /tmp/install.log; exit 1; }; ` +
        `exec mariadbd --user=root --datadir=${db} --port=${mysqlPort} --bind-address=127.0.0.1 --socket=${db}.sock --pid-file=${db}.pid --skip-name-resolve`,
    ])
    .start();
  const kafka = await new GenericContainer(image).withNetworkMode('host').withLabels(label).withBindMounts(plan.binds).withCommand(plan.command).start();
  const stop = async () => {
    await Promise.allSettled([kafka.stop({ timeout: 10_000 }), mysql.stop({ timeout: 10_000 })]);
  };
  try {
    const mysqlUrl = `mysql://root@127.0.0.1:${mysqlPort}`;
    await waitFor(async () => {
      try {
        const conn = await createConnection({ uri: mysqlUrl, connectTimeout: 2000 });
        await conn.query('SELECT 1');
        await conn.end();
        return true;
      } catch {
        return false;
      }
    }, { timeoutMs: 90_000, intervalMs: 250, what: `MariaDB in a container (port ${mysqlPort})` });
    const mysqlReady = Date.now();
    await waitFor(async () => {
      if (!(await listening(kafkaPort))) return false;
      const log = fs.existsSync(plan.serverLog) ? fs.readFileSync(plan.serverLog, 'utf8') : '';
      return /Kafka Server started|started \(kafka\.server/.test(log);
    }, { timeoutMs: 120_000, intervalMs: 250, what: `Kafka in a container (port ${kafkaPort})` });
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    return {
      mysqlUrl,
      kafkaBrokers: `127.0.0.1:${kafkaPort}`,
      varDir,
      summary:
        `containers (testcontainers, image ${image}, host networking): MariaDB on 127.0.0.1:${mysqlPort} ready in ${seconds(mysqlReady - started)}, ` +
        `Kafka ${plan.version} (SASL/SCRAM, ACLs) on 127.0.0.1:${kafkaPort} ready in ${seconds(Date.now() - started)}`,
      stop,
    };
  } catch (err) {
    const logs = async (c: typeof mysql) => {
      const chunks: string[] = [];
      const stream = await c.logs({ tail: 40 });
      stream.on('data', (d: Buffer | string) => chunks.push(d.toString()));
      await sleep(300);
      return chunks.join('');
    };
    const detail = `--- mariadb ---\n${await logs(mysql).catch(() => '')}\n--- kafka ---\n${await logs(kafka).catch(() => '')}`;
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${detail}`);
  }
}

const alivePid = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Containers (and their brokers' folders) a run killed before its teardown left: removed before a new run starts its own. */
export function removeLeftoverContainers(varRoot: string): void {
  if (fs.existsSync(varRoot)) {
    for (const entry of fs.readdirSync(varRoot)) if (!alivePid(Number(entry))) fs.rmSync(path.join(varRoot, entry), { recursive: true, force: true });
  }
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', 'label=audx.test-deps'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  const alive = ids.filter((id) => {
    const pid = Number(spawnSync('docker', ['inspect', '-f', '{{index .Config.Labels "audx.test-deps"}}', id], { encoding: 'utf8' }).stdout.trim());
    return alivePid(pid);
  });
  const dead = ids.filter((id) => !alive.includes(id));
  if (dead.length) spawnSync('docker', ['rm', '-f', ...dead], { stdio: 'ignore' });
}
