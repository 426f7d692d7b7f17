import { PolicyRecord, denies, violatedPolicies } from './policy-evaluation';

const example: PolicyRecord = {
  name: 'p1',
  marketingAction: 'cloud-export',
  status: 'ENABLED',
  deny: { operator: 'AND', operands: [{ label: 'C1' }, { operator: 'OR', operands: [{ label: 'C3' }, { label: 'C7' }] }] },
};

describe('policy evaluation', () => {
  it.each([
    [['C1', 'C3'], true],
    [['C1', 'C7'], true],
    [['C1'], false],
    [['C3', 'C7'], false],
    [[], false],
  ])('labels %j violate C1 AND (C3 OR C7): %s', (labels, expected) => {
    expect(denies(example.deny, new Set(labels as string[]))).toBe(expected);
  });

  it('considers only enabled policies of the marketing action', () => {
    const draft = { ...example, name: 'p2', status: 'DRAFT' as const };
    const other = { ...example, name: 'p3', marketingAction: 'campaign-import' };
    expect(violatedPolicies([example, draft, other], 'cloud-export', ['C1', 'C3']).map((p) => p.name)).toEqual(['p1']);
  });
});
