import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, localKafkaUsers, runStackScript, waitFor } from '@audx/testing';

/** A Kafka broker of the fault suite's own, so that stopping it disturbs nothing else. */
export class OwnBroker {
  private constructor(readonly env: Record<string, string>) {}

  static async start(): Promise<OwnBroker> {
    const port = await freePort();
    const controller = await freePort();
    const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audx-faults-kafka-'));
    const b = new OwnBroker({ KAFKA_BROKERS: `127.0.0.1:${port}`, KAFKA_CONTROLLER_PORT: String(controller), AUDX_VAR_DIR: varDir });
    runStackScript('kafka', ['start'], b.env);
    return b;
  }

  get brokers(): string {
    return this.env.KAFKA_BROKERS;
  }

  /** Its principals' passwords (a secured broker, as the local stack runs it). */
  get users(): Record<string, string> | undefined {
    return localKafkaUsers(this.env.AUDX_VAR_DIR) ?? undefined;
  }

  /** Makes this broker the one of the test process: its address, and its operator as the test clients' principal. */
  becomeTheRunsBroker(): void {
    process.env.KAFKA_BROKERS = this.brokers;
    const users = this.users;
    if (users) Object.assign(process.env, { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'admin', KAFKA_SASL_PASSWORD: users.admin });
  }

  stop(): void {
    runStackScript('kafka', ['stop'], this.env);
  }

  start(): void {
    runStackScript('kafka', ['start'], this.env);
  }

  destroy(): void {
    this.stop();
    fs.rmSync(this.env.AUDX_VAR_DIR, { recursive: true, force: true });
  }
}

/** Restarts the local MariaDB the way an operator would (SIGTERM, wait, start again). */
export async function restartMysql(): Promise<void> {
  const pid = spawnSync('pidof', ['mariadbd'], { encoding: 'utf8' }).stdout.trim().split(/\s+/)[0];
  if (!pid) throw new Error('no local mariadbd to restart');
  process.kill(Number(pid), 'SIGTERM');
  await waitFor(
    () => {
      try {
        process.kill(Number(pid), 0);
        return false;
      } catch {
        return true;
      }
    },
    { timeoutMs: 60000, what: 'mariadbd to stop' },
  );
  runStackScript('mysql');
}

/** Deterministic "random" moments, so a failing run can be replayed. */
export function moments(seed: number) {
  let s = seed >>> 0;
  return (min: number, max: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.round(min + (s / 2 ** 32) * (max - min));
  };
}

export function digest(lines: Iterable<string>): string {
  const h = createHash('sha256');
  for (const l of [...lines].sort()) h.update(l).update('\n');
  return h.digest('hex');
}
