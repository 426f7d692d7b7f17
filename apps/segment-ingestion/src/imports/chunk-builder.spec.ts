import { ChunkBuilder } from './chunk-builder';

const header = { importId: 'imp_1', sequence: 7, dataSource: 'ds', mode: 'iter' as const };
const labels = (s: string) => (s === '1' ? ['C1'] : []);
const member = (i: number, add: string[] = ['1'], remove: string[] = []) => ({ userId: `user-${i}`.padEnd(100, 'x'), add, remove });

describe(ChunkBuilder.name, () => {
  it('numbers chunks across batches, keeps each within the budget, and ends with every segment and the totals', () => {
    const builder = new ChunkBuilder(header, labels, 2000);
    const first = builder.build(Array.from({ length: 30 }, (_, i) => member(i)), false, 0);
    const second = builder.build([member(30, ['2'], ['3'])], true, 4);
    const all = [...first, ...second];
    expect(all.map((c) => c.seq)).toEqual(all.map((_, i) => i));
    expect(all.every((c) => Buffer.byteLength(JSON.stringify(c.members)) <= 2000)).toBe(true);
    expect(all.flatMap((c) => c.members)).toHaveLength(31);
    expect(all.filter((c) => c.last)).toHaveLength(1);
    const last = all[all.length - 1];
    expect(last).toMatchObject({ last: true, importId: 'imp_1', sequence: 7, totals: { chunks: all.length, members: 31, invalidIds: 4 } });
    expect(last.segments).toEqual([
      { segmentId: '1', labels: ['C1'] },
      { segmentId: '2', labels: [] },
      { segmentId: '3', labels: [] },
    ]);
    expect(first[0].segments).toEqual([{ segmentId: '1', labels: ['C1'] }]);
    expect(builder.chunks).toBe(all.length);
  });

  it('sends nothing for an empty batch, and one empty last chunk for an import that ends with none', () => {
    const builder = new ChunkBuilder(header, labels);
    expect(builder.build([], false, 0)).toEqual([]);
    expect(builder.build([], true, 2)).toEqual([{ ...header, seq: 0, last: true, segments: [], members: [], totals: { chunks: 1, members: 0, invalidIds: 2 } }]);
  });
});
