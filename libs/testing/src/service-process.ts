import { existsSync } from 'node:fs';
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from './free-port';
import { repoRoot } from './stack';
import { TestEnv, testDatabase, testEnv } from './test-env';
import { waitFor } from './wait';

export type ServiceName = 'ims' | 'segment-ingestion' | 'identity-reconciliation' | 'audience-publication';

const DEFAULT_DB: Record<ServiceName, string> = {
  ims: 'audx_ims',
  'segment-ingestion': 'audx_ingestion',
  'identity-reconciliation': 'audx_identity',
  'audience-publication': 'audx_publication',
};

/** A service started as its own OS process, as in production, so tests can SIGKILL it. */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  /** The latest output (a bounded ring of chunks). */
  readonly output: string[] = [];
  private readonly watchers: ((chunk: string) => void)[] = [];

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly main: string,
  ) {}

  static async create(name: ServiceName, extraEnv: NodeJS.ProcessEnv = {}, env: TestEnv = testEnv()): Promise<ServiceProcess> {
    return ServiceProcess.fromScript(path.join(repoRoot, 'apps', name, 'src/main.ts'), { MYSQL_DATABASE: testDatabase(DEFAULT_DB[name], env), ...extraEnv }, env, name);
  }

  /** Any TypeScript entry point that serves /ready (test fixtures), wired to this run like a service. */
  static async fromScript(main: string, extraEnv: NodeJS.ProcessEnv = {}, env: TestEnv = testEnv(), name = path.basename(main)): Promise<ServiceProcess> {
    const port = Number(extraEnv.PORT ?? (await freePort()));
    return new ServiceProcess(name, port, {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      KAFKA_BROKERS: env.kafkaBrokers,
      MYSQL_URL: env.mysqlUrl,
      KAFKA_NAMESPACE: env.namespace,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...extraEnv,
    }, main);
  }

  /** Every output chunk from now on (benchmarks pick their step logs out of a long run). */
  watchOutput(watcher: (chunk: string) => void): void {
    this.watchers.push(watcher);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and waits for /ready to answer 200. */
  async start(timeoutMs = 60000): Promise<this> {
    // AUDX_CPU_PROF_DIR: each service writes a V8 CPU profile there when it exits (benchmarks' profiling)
    const profile = process.env.AUDX_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.AUDX_CPU_PROF_DIR}`, `--cpu-prof-name=${this.name}.${Date.now()}.cpuprofile`] : [];
    const child = spawn(process.execPath, [...profile, ...heapLimit(this.env), ...entryPoint(this.main)], { cwd: repoRoot, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (d: Buffer) => {
      const text = d.toString('utf8');
      this.output.push(text);
      if (this.output.length > 500) this.output.shift();
      for (const w of this.watchers) w(text);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`${this.name} exited with ${child.exitCode}: ${this.output.join('').slice(-2000)}`);
          const res = await fetch(`${this.url}/ready`);
          return res.status === 200;
        },
        { timeoutMs, intervalMs: 200, what: `${this.name} ready` },
      );
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`${String(err)}\n${this.output.join('').slice(-3000)}`);
    }
    return this;
  }

  /** SIGKILL: no shutdown hooks, no flush; what a crash looks like. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM and wait for a graceful exit; returns the exit code. */
  async stop(): Promise<number | null> {
    return this.signal('SIGTERM');
  }

  private async signal(sig: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(sig);
    return exited;
  }
}

/**
 * The V8 heap cap a service runs with, as `npm start` runs it (AUDX_SERVICE_HEAP_MB, default 192):
 * uncapped, V8 grows the heap towards a quarter of the machine's memory before it collects, and a
 * service whose live data is a few dozen MiB shows 500 MiB of RSS. A test that sets its own cap in
 * NODE_OPTIONS keeps it.
 */
function heapLimit(env: NodeJS.ProcessEnv): string[] {
  if (env.NODE_OPTIONS?.includes('--max-old-space-size')) return [];
  return [`--max-old-space-size=${Number(env.AUDX_SERVICE_HEAP_MB ?? 192)}`];
}

/**
 * How to run an entry point: a service's compiled JavaScript from dist/ (`node tools/build.mjs`)
 * when AUDX_RUN_COMPILED=1, as `npm start` and production run it; the TypeScript through the
 * runtime compiler otherwise (no build step between an edit and a test), and always for test
 * fixtures, which the build leaves out.
 */
function entryPoint(main: string): string[] {
  const isService = path.relative(repoRoot, main).split(path.sep)[2] === 'src';
  if (process.env.AUDX_RUN_COMPILED !== '1' || !isService) return ['-r', '@swc-node/register', main];
  const compiled = path.join(repoRoot, 'dist', path.relative(repoRoot, main)).replace(/\.ts$/, '.js');
  if (!existsSync(compiled)) throw new Error(`AUDX_RUN_COMPILED=1 but ${compiled} does not exist: run node tools/build.mjs`);
  return [compiled];
}
