import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { LineDeduper } from './line-deduper';

const md5 = (s: string) => createHash('md5').update(s).digest();

describe(LineDeduper.name, () => {
  it('tells a line seen before from a new one, exactly, across growth', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 6 }), { maxLength: 3000 }), (lines) => {
        const sut = new LineDeduper(1_000_000, 4);
        const seen = new Set<string>();
        for (const line of lines) {
          expect(sut.remember(md5(line))).toBe(seen.has(line) ? 'duplicate' : 'new');
          seen.add(line);
        }
        expect(sut.size).toBe(seen.size);
      }),
    );
  });

  it('stops growing at its limit: later new lines overflow, earlier ones are still known', () => {
    const sut = new LineDeduper(100, 16);
    const first = Array.from({ length: 100 }, () => randomBytes(16));
    for (const d of first) expect(sut.remember(d)).toBe('new');
    expect(sut.remember(randomBytes(16))).toBe('overflow');
    for (const d of first) expect(sut.remember(d)).toBe('duplicate');
    expect(sut.size).toBe(100);
  });

  it('keeps the all-zero digest apart from empty slots', () => {
    const sut = new LineDeduper(10);
    expect(sut.remember(Buffer.alloc(16))).toBe('new');
    expect(sut.remember(Buffer.alloc(16))).toBe('duplicate');
    expect(sut.remember(md5('x'))).toBe('new');
  });
});
