import { SqlConditions } from './sql-conditions';

describe(SqlConditions.name, () => {
  it('joins the given filters in order and skips those not given', () => {
    const w = new SqlConditions().when('org_id = ?', 'o1').when('status = ?', undefined).when('name = ?', '').when('pk < ?', null).when('at > ?', 0).when('id = ?', 'x');
    expect(w.sql).toBe('org_id = ? AND at > ? AND id = ?');
    expect(w.params).toEqual(['o1', 0, 'x']);
  });
});
