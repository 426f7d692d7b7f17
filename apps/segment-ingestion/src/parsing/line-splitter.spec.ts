import { Readable } from 'node:stream';
import fc from 'fast-check';
import { Line, LineSplitter, MAX_LINE_BYTES } from './line-splitter';

async function split(chunks: Buffer[]): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of Readable.from(chunks).pipe(new LineSplitter())) out.push(l as Line);
  return out;
}

describe(LineSplitter.name, () => {
  it('splits LF and CRLF lines, strips a BOM and keeps a last line without newline', async () => {
    const lines = await split([Buffer.from('\ufeffa b\r\nc'), Buffer.from('d\n\ne')]);
    expect(lines).toEqual([
      { lineNo: 1, text: 'a b' },
      { lineNo: 2, text: 'cd' },
      { lineNo: 3, text: '' },
      { lineNo: 4, text: 'e' },
    ]);
  });

  it('reports a line over the limit without keeping it, and goes on', async () => {
    const long = Buffer.alloc(MAX_LINE_BYTES + 10, 0x61);
    const lines = await split([Buffer.from('ok\n'), long.subarray(0, 50000), long.subarray(50000), Buffer.from('\nnext\n')]);
    expect(lines).toEqual([
      { lineNo: 1, text: 'ok' },
      { lineNo: 2, error: `line longer than ${MAX_LINE_BYTES} bytes` },
      { lineNo: 3, text: 'next' },
    ]);
  });

  it('accepts a line of exactly the limit, CRLF included', async () => {
    const exact = Buffer.concat([Buffer.alloc(MAX_LINE_BYTES, 0x62), Buffer.from('\r\n')]);
    const lines = await split([exact]);
    expect(lines).toHaveLength(1);
    expect('text' in lines[0] && lines[0].text.length).toBe(MAX_LINE_BYTES);
  });

  it('reports invalid UTF-8 as an error of that line only', async () => {
    const lines = await split([Buffer.from([0x61, 0xff, 0xfe, 0x0a]), Buffer.from('b\n')]);
    expect(lines).toEqual([
      { lineNo: 1, error: 'invalid UTF-8' },
      { lineNo: 2, text: 'b' },
    ]);
  });

  it('never throws on random bytes and numbers every line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 20 }), async (parts) => {
        const chunks = parts.map((p) => Buffer.from(p));
        const all = Buffer.concat(chunks);
        const lines = await split(chunks);
        let expected = all.filter((b) => b === 0x0a).length;
        if (all.length && all[all.length - 1] !== 0x0a) expected++;
        if (all.length >= 3 && all[0] === 0xef && all[1] === 0xbb && all[2] === 0xbf && all.length === 3) expected = 0;
        expect(lines.length).toBe(expected);
        lines.forEach((l, i) => expect(l.lineNo).toBe(i + 1));
      }),
      { numRuns: 200 },
    );
  });
});
