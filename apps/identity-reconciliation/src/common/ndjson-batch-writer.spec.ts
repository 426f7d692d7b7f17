import { Readable } from 'node:stream';
import { writeNdjsonInBatches } from './ndjson-batch-writer';
import { NdjsonReport } from './ndjson-report';

const limits = { maxBytes: 1 << 20, maxLineBytes: 1024 };
const body = (n: number) => Readable.from([Array.from({ length: n }, (_, i) => String(i)).join('\n')]);

describe(writeNdjsonInBatches.name, () => {
  it('writes one batch at a time, in order, while the next is parsed', async () => {
    const report = new NdjsonReport('upserted');
    const written: number[][] = [];
    let active = 0;
    await writeNdjsonInBatches(body(10), report, {
      limits,
      batchSize: 3,
      parse: (text) => (text === '4' ? { error: 'four' } : Number(text)),
      write: async (items) => {
        expect(++active).toBe(1);
        await new Promise((r) => setTimeout(r, 5));
        written.push(items);
        active--;
      },
    });
    expect(written).toEqual([[0, 1, 2], [3, 5, 6], [7, 8, 9]]);
    expect(report.toJSON()).toMatchObject({ received: 10, upserted: 9, rejected: 1, errors: [{ line: 5, reason: 'four' }] });
  });

  it('fails with the first failed write and counts only what was written', async () => {
    const report = new NdjsonReport('upserted');
    const attempts: number[][] = [];
    const run = writeNdjsonInBatches(body(9), report, {
      limits,
      batchSize: 3,
      parse: Number,
      write: async (items) => {
        attempts.push(items);
        if (items[0] === 3) throw new Error('deadlock');
      },
    });
    await expect(run).rejects.toThrow('deadlock');
    expect(report.written).toBe(3);
    expect(attempts.length).toBeLessThanOrEqual(2);
  });
});
