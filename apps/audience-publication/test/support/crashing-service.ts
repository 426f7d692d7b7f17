import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort, repoRoot, testDatabase, testEnv } from '@audx/testing';

export interface CrashingService {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * audience-publication as its own process, for a run that is expected to die on its own before
 * it may even answer /ready (ServiceProcess.start would wait for readiness until its timeout).
 * Same environment as ServiceProcess gives it: this run's namespace and database.
 */
export async function spawnPublication(extraEnv: NodeJS.ProcessEnv): Promise<CrashingService> {
  const env = testEnv();
  const chunks: string[] = [];
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(repoRoot, 'apps/audience-publication/src/main.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(await freePort()),
      KAFKA_BROKERS: env.kafkaBrokers,
      MYSQL_URL: env.mysqlUrl,
      KAFKA_NAMESPACE: env.namespace,
      MYSQL_DATABASE: testDatabase('audx_publication', env),
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => chunks.push(d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => chunks.push(d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => chunks.join(''), exited };
}
