import { Readable } from 'node:stream';
import { exportKafkaCredentials } from '@audx/testing';

/** Shared bits of the benchmark scripts: environment, timing, one JSON line per figure. */
export interface BenchEnv {
  kafkaBrokers: string;
  mysqlUrl: string;
  namespace: string;
}

export function benchEnv(): BenchEnv {
  // the local broker is secured: the bench's own clients speak as its operator, the services as themselves
  exportKafkaCredentials();
  const namespace = process.env.AUDX_TEST_NAMESPACE ?? `bench${Date.now().toString(36)}`;
  process.env.AUDX_TEST_NAMESPACE = namespace;
  return {
    kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    mysqlUrl: process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
    namespace,
  };
}

export async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** One line per figure, `BENCH {json}`, collected by tools/bench/run-bench.mjs. */
export function report(name: string, figures: Record<string, number | string>): void {
  const rounded = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 100) / 100 : v]));
  process.stdout.write(`BENCH ${JSON.stringify({ name, ...rounded })}\n`);
}

/** `count` generated lines as a stream, in blocks of 10,000 (a LOAD DATA source that never holds them all). */
export function generatedLines(count: number, line: (i: number) => string): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i >= count) return void this.push(null);
      const lines: string[] = [];
      for (let k = 0; k < 10000 && i < count; k++, i++) lines.push(line(i));
      this.push(Buffer.from(lines.join('\n') + '\n'));
    },
  });
}
