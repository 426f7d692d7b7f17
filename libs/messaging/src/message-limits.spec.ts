import { SEND_BUDGET_BYTES, recordBytes, splitByBytes, unsendableReason } from './message-limits';

describe('splitByBytes', () => {
  it('keeps order and never exceeds the budget unless one record alone does', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(30_000 + i) }));
    const groups = splitByBytes(records);
    expect(groups.flat()).toEqual(records);
    for (const g of groups) expect(g.reduce((n, r) => n + recordBytes(r), 0)).toBeLessThanOrEqual(SEND_BUDGET_BYTES);
    expect(groups.length).toBeGreaterThan(1);
  });

  it('gives an oversized record a group of its own', () => {
    const big = { key: 'b', value: 'x'.repeat(SEND_BUDGET_BYTES * 2) };
    const groups = splitByBytes([{ key: 'a', value: 'a' }, big, { key: 'c', value: 'c' }]);
    expect(groups.map((g) => g.map((r) => r.key))).toEqual([['a'], ['b'], ['c']]);
  });

  it('counts multi-byte characters as bytes', () => {
    expect(recordBytes({ key: '', value: 'é' })).toBe(2 + 64);
  });
});

describe('unsendableReason', () => {
  it('finds a size refusal, even wrapped by a retrier', () => {
    expect(unsendableReason({ type: 'MESSAGE_TOO_LARGE' })).toBe('MESSAGE_TOO_LARGE');
    expect(unsendableReason({ name: 'KafkaJSNumberOfRetriesExceeded', originalError: { type: 'RECORD_LIST_TOO_LARGE' } })).toBe('RECORD_LIST_TOO_LARGE');
  });

  it('does not call a broker outage unsendable', () => {
    expect(unsendableReason(new Error('Connection error: connect ECONNREFUSED'))).toBeNull();
    expect(unsendableReason({ type: 'NOT_LEADER_FOR_PARTITION' })).toBeNull();
  });
});
