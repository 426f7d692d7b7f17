import fc from 'fast-check';
import type { MemberLine } from '../parsing/formats';
import { cutChunks, memberBytes } from './chunk-cutter';

const member = fc.record({
  userId: fc.string({ minLength: 1, maxLength: 60 }),
  add: fc.array(fc.stringMatching(/^[0-9]{1,19}$/), { maxLength: 40 }),
  remove: fc.array(fc.stringMatching(/^[0-9]{1,19}$/), { maxLength: 40 }),
});

describe(cutChunks.name, () => {
  it('keeps every member once, in order, and each group within the budget', () => {
    fc.assert(
      fc.property(fc.array(member, { maxLength: 300 }), fc.integer({ min: 200, max: 20_000 }), (members, budget) => {
        const groups = cutChunks(members, budget);
        expect(groups.flat()).toEqual(members);
        for (const g of groups) {
          expect(JSON.stringify(g).length).toBeLessThanOrEqual(Math.max(budget, ...g.map(memberBytes)) + 2);
        }
      }),
    );
  });

  it('measures JSON bytes from above', () => {
    fc.assert(fc.property(member, (m) => expect(Buffer.byteLength(JSON.stringify(m)) + 1).toBeLessThanOrEqual(memberBytes(m))));
  });

  it('gives the tail a group of its own when it does not fit beside the members', () => {
    const m: MemberLine = { userId: 'u', add: ['1'], remove: [] };
    expect(cutChunks([m, m], 1000, 10)).toEqual([[m, m]]);
    expect(cutChunks([m, m], 1000, 990)).toEqual([[m, m], []]);
    expect(cutChunks([], 1000, 5000)).toEqual([[]]);
  });
});
