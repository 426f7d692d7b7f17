import type { PolicyRecord } from '@audx/contracts';
import { exportViolations } from './export-gate';

const policy = (over: Partial<PolicyRecord>): PolicyRecord => ({ name: 'p', marketingAction: 'cloud-export', status: 'ENABLED', deny: { label: 'C12' }, ...over });

describe('exportViolations', () => {
  it('rejects on a label of the list', () => {
    expect(exportViolations([policy({})], ['C12'], []).map((p) => p.name)).toEqual(['p']);
  });

  it('rejects on an export control of the data source, combined with the list labels', () => {
    const both = policy({ name: 'both', deny: { operator: 'AND', operands: [{ label: 'C5' }, { label: 'C2' }] } });
    expect(exportViolations([both], ['C5'], ['C2']).map((p) => p.name)).toEqual(['both']);
    expect(exportViolations([both], ['C5'], [])).toEqual([]);
  });

  it('ignores draft policies and other marketing actions', () => {
    expect(exportViolations([policy({ status: 'DRAFT' }), policy({ marketingAction: 'campaign-import' })], ['C12'], ['C12'])).toEqual([]);
  });
});
