/** HTTP helpers of the benchmarks that drive the running services as a client does. */
import http from 'node:http';
import type { TestStack } from '@audx/testing';

/** Streams `count` generated lines as the body of a POST, and answers the status and JSON body. */
export function streamPost(url: string, headers: Record<string, string>, type: string, count: number, line: (i: number) => string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-type': type } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode!, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
      });
    });
    req.on('error', reject);
    let i = 0;
    const pump = () => {
      while (i < count) {
        const n = Math.min(5000, count - i);
        let block = '';
        for (let k = 0; k < n; k++) block += `${line(i + k)}\n`;
        i += n;
        if (!req.write(block)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

export async function getJson<T>(url: string, headers: Record<string, string>): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as T };
}

export async function postJson<T>(url: string, headers: Record<string, string>, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The peak resident memory of each service, sampled from its /metrics every 500 ms. */
export class RssSampler {
  readonly peak = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly stack: TestStack) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), 500);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    for (const [name, service] of this.stack.services) {
      const text = await fetch(`${service.url}/metrics`)
        .then((r) => r.text())
        .catch(() => '');
      const m = /^process_resident_memory_bytes\S* (\S+)$/m.exec(text);
      if (m) this.peak.set(name, Math.max(this.peak.get(name) ?? 0, Number(m[1])));
    }
  }
}

