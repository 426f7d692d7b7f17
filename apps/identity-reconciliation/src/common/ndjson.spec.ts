import { Readable } from 'node:stream';
import { NdjsonLine, ndjsonLines } from './ndjson';

async function collect(chunks: (string | Buffer)[], limits = { maxBytes: 1_000_000, maxLineBytes: 10 }): Promise<NdjsonLine[]> {
  const out: NdjsonLine[] = [];
  for await (const l of ndjsonLines(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))), limits)) out.push(l);
  return out;
}

describe(ndjsonLines.name, () => {
  it('splits lines across chunk boundaries, handles CRLF, a missing final newline and blank lines', async () => {
    expect(await collect(['{"a"', ':1}\r\n\n  \n{"b":2', '}'])).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 4, text: '{"b":2}' },
    ]);
  });

  it('reports an over-long line with its number, without keeping it, and goes on', async () => {
    expect(await collect(['short\n', 'x'.repeat(6), 'y'.repeat(6), 'z\nok\n', 'w'.repeat(11)])).toEqual([
      { line: 1, text: 'short' },
      { line: 2, error: 'line longer than 10 bytes' },
      { line: 3, text: 'ok' },
      { line: 4, error: 'line longer than 10 bytes' },
    ]);
  });

  it('keeps multi-byte characters split across chunks intact', async () => {
    const bytes = Buffer.from('"é€"\n');
    expect(await collect([bytes.subarray(0, 2), bytes.subarray(2)])).toEqual([{ line: 1, text: '"é€"' }]);
  });

  it('stops with 413 once the body exceeds the limit', async () => {
    await expect(collect(['0123456789\n'.repeat(3)], { maxBytes: 20, maxLineBytes: 100 })).rejects.toMatchObject({ status: 413 });
  });
});
