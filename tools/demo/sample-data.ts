/**
 * Deterministic sample data for the demo (no personal data: example.test addresses, made-up ids).
 * `node -r @swc-node/register tools/demo/sample-data.ts [dir]` writes the files; run-demo.ts
 * calls `generateSample()` directly.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Sample {
  recipients: string;
  visitors: string;
  segmentFile: { name: string; content: string };
  segments: { id: string; name: string; labels: string[] }[];
  figures: { recipients: number; linkedVisitors: number; fileLines: number };
}

/** A small linear congruential generator: the same sample on every machine. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const visitorId = (n: number) => `${String(4000000000 + n)}${String(n * 7919).padStart(28, '0')}`.slice(0, 38).padStart(38, '0');

export function generateSample(dpid: number, recipients = 2000): Sample {
  const rand = rng(42);
  const recipientLines: string[] = [];
  const visitorLines: string[] = [];
  for (let i = 1; i <= recipients; i++) {
    const id = `r-${String(i).padStart(5, '0')}`;
    recipientLines.push(
      JSON.stringify({
        recipientId: id,
        email: `  Member${i}@Example.TEST `,
        crmId: `CRM-${100000 + i}`,
        phone: `+3360000${String(i).padStart(4, '0')}`,
        blocklisted: i % 97 === 0,
        attributes: { tier: ['gold', 'silver', 'bronze'][i % 3], country: i % 2 ? 'FR' : 'DE' },
      }),
    );
    if (rand() < 0.75) visitorLines.push(JSON.stringify({ visitorId: visitorId(i), recipientId: id }));
  }
  const lines: string[] = [];
  for (let i = 1; i <= Math.round(recipients * 0.8); i++) {
    const segs = rand() < 0.5 ? '1001,1002' : '1001';
    lines.push(`${visitorId(i)} ${segs} ${rand() < 0.05 ? '1003' : ''}`.trimEnd());
  }
  for (let i = 0; i < 40; i++) lines.push(`${visitorId(recipients + 1000 + i)} 1001`); // visitors nobody knows
  lines.push('not-a-visitor-id 1001', `${visitorId(1)} 1001 1002 extra`); // refused with a line number
  return {
    recipients: recipientLines.join('\n') + '\n',
    visitors: visitorLines.join('\n') + '\n',
    segmentFile: { name: `S3_9001_${dpid}_iter_1764489600000.sync`, content: lines.join('\n') + '\n' },
    segments: [
      { id: '1001', name: 'Visited pricing page', labels: ['C2'] },
      { id: '1002', name: 'Engaged readers', labels: ['I2'] },
      { id: '1003', name: 'Churn risk', labels: ['C5'] },
    ],
    figures: { recipients, linkedVisitors: visitorLines.length, fileLines: lines.length },
  };
}

if (require.main === module) {
  const dir = process.argv[2] ?? '.var/demo';
  const s = generateSample(Number(process.env.DEFAULT_DPID ?? 100000));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'recipients.ndjson'), s.recipients);
  fs.writeFileSync(path.join(dir, 'visitors.ndjson'), s.visitors);
  fs.writeFileSync(path.join(dir, s.segmentFile.name), s.segmentFile.content);
  console.log(`wrote ${dir}: ${JSON.stringify(s.figures)}`);
}
