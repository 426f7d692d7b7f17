/**
 * segment-ingestion: a 1M-line AAM outbound file uploaded through the real HTTP server, parsed,
 * validated, de-duplicated and handed on to Kafka; lines per second and the service's peak memory.
 */
import http from 'node:http';
import { TestStack } from '@audx/testing';
import { benchEnv, report } from './bench-support';

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const HEAP_MIB = Number(process.env.BENCH_INGESTION_HEAP_MIB ?? 256);

async function gauge(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name}\\S* (\\S+)$`, 'm').exec(text)![1]);
}

/** Uploads `lines` generated AAM lines and samples the service's memory every 200 ms meanwhile. */
async function upload(url: string, headers: Record<string, string>, lines: number) {
  const sample = async () => ({ rss: await gauge(url, 'process_resident_memory_bytes'), heap: await gauge(url, 'nodejs_heap_size_used_bytes') });
  const before = await sample();
  const peak = { ...before };
  const sampler = setInterval(
    () =>
      void sample()
        .then((m) => ((peak.rss = Math.max(peak.rss, m.rss)), (peak.heap = Math.max(peak.heap, m.heap))))
        .catch(() => undefined),
    200,
  );
  let bytes = 0;
  const started = process.hrtime.bigint();
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(`${url}/v1/imports?format=aam-outbound`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    let i = 0;
    const pump = () => {
      while (i < lines) {
        const n = Math.min(2000, lines - i);
        const block = Array.from({ length: n }, (_, k) => `${String(i + k).padStart(38, '0')} 24,26 25`).join('\n') + '\n';
        bytes += block.length;
        i += n;
        if (!req.write(block)) return req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  if (status !== 202) throw new Error(`import answered ${status}`);
  const mib = (b: number) => b / 1048576;
  return { lines, megabytes: mib(bytes), seconds, linesPerSecond: Math.round(lines / seconds), rssBeforeMiB: mib(before.rss), rssPeakMiB: mib(peak.rss), heapPeakMiB: mib(peak.heap) };
}

void (async () => {
  benchEnv();
  // the heap capped (deploy/ gives it 512 MiB), so that the peak shows what streaming needs
  // rather than how lazily an uncapped GC collects
  const stack = await TestStack.start(['segment-ingestion'], { LOG_LEVEL: 'warn', NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}` });
  try {
    const tenant = await stack.ims.tenant('bench-ingestion');
    const url = stack.url('segment-ingestion');
    // memory is flat when a file 4x larger peaks no higher than the smaller one
    report('ingestion.import.small', await upload(url, tenant.headers, Math.round(LINES / 4)));
    report('ingestion.import', await upload(url, tenant.headers, LINES));
  } finally {
    await stack.stop();
  }
})().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
