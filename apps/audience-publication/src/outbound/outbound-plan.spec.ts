import { OPEN_VERSION, diffMembers, intakeLine, isMemberAt, isPrunable, isWritableIdentifier, oldestKept, outboundPlan } from './outbound-plan';

describe('outbound plan and delta semantics', () => {
  it('publishes the delta as .sync for an incremental share: adds then removals', () => {
    expect(outboundPlan('incremental', { size: 100, added: 3, removed: 2 })).toEqual({ kind: 'sync', sections: ['added', 'removed'], lines: 5, removals: 0 });
  });

  it('publishes every member as .overwrite for a full share, and removes those who left in a .sync', () => {
    expect(outboundPlan('full', { size: 100, added: 3, removed: 2 })).toEqual({ kind: 'overwrite', sections: ['current'], lines: 100, removals: 2 });
    expect(outboundPlan('full', { size: 100, added: 3, removed: 0 })).toEqual({ kind: 'overwrite', sections: ['current'], lines: 100, removals: 0 });
  });

  it('writes d_sid for adds and members, d_unsid for removals, tab-separated', () => {
    const id = '59767559181262060060278870901087098252';
    expect(intakeLine(id, '24', 'added')).toBe(`${id}\td_sid=24\n`);
    expect(intakeLine(id, '24', 'current')).toBe(`${id}\td_sid=24\n`);
    expect(intakeLine(id, '24', 'removed')).toBe(`${id}\td_unsid=24\n`);
    // an overwrite line repeats the user's other sids of the data source, once each, sorted
    expect(intakeLine(id, '24', 'current', ['31', '25', '31', '24'])).toBe(`${id}\td_sid=24,d_sid=25,d_sid=31\n`);
    expect(intakeLine(id, '24', 'removed', ['31'])).toBe(`${id}\td_unsid=24\n`);
  });

  it('computes exact added and removed sets between two versions', () => {
    const sut = diffMembers(['a', 'b', 'c', 'd'], ['c', 'd', 'e', 'a2']);
    expect(sut).toEqual({ added: ['a2', 'e'], removed: ['a', 'b'] });
    expect(diffMembers([], ['x'])).toEqual({ added: ['x'], removed: [] });
    expect(diffMembers(['x'], ['x'])).toEqual({ added: [], removed: [] });
  });

  it('reads membership intervals as from_version .. to_version - 1, open while still a member', () => {
    expect(isMemberAt(2, 4, 1)).toBe(false);
    expect(isMemberAt(2, 4, 2)).toBe(true);
    expect(isMemberAt(2, 4, 3)).toBe(true);
    expect(isMemberAt(2, 4, 4)).toBe(false);
    expect(isMemberAt(2, OPEN_VERSION, 1_000_000)).toBe(true);
  });

  it('keeps the last K versions and prunes only rows that ended before them', () => {
    expect(oldestKept(7, 5)).toBe(3);
    expect(oldestKept(2, 5)).toBe(1);
    // a member of versions 1..2 (to = 3) serves none of 3..7; one of 1..3 (to = 4) still serves 3
    expect(isPrunable(3, oldestKept(7, 5))).toBe(true);
    expect(isPrunable(4, oldestKept(7, 5))).toBe(false);
    expect(isPrunable(OPEN_VERSION, oldestKept(7, 5))).toBe(false);
  });

  it('refuses identifiers that would break an intake line', () => {
    expect(isWritableIdentifier('59767559181262060060278870901087098252')).toBe(true);
    expect(isWritableIdentifier('a6ea4cde5da5ae7cc68baae894d1d6544fca26254433b0fff7c2cb4843b4a097')).toBe(true);
    expect(isWritableIdentifier('with\ttab')).toBe(false);
    expect(isWritableIdentifier('with\nnewline')).toBe(false);
    expect(isWritableIdentifier('with space')).toBe(false);
    expect(isWritableIdentifier('')).toBe(false);
    expect(isWritableIdentifier('x'.repeat(256))).toBe(false);
  });
});
