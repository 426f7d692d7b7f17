import { messageKey } from '../registry';
import { Topics } from '../topics';
import { PolicyChangedSchema, policyChangedExample, replicatedTombstone } from './replicated';

const ORG = '1FD6776A524453CC0A490D44@AdobeOrg';

describe('replicatedTombstone', () => {
  it('reads the org and the record name from the key the producers use, as a valid deletion payload', () => {
    const key = messageKey(Topics.policyChanged, policyChangedExample, ORG);
    const deletion = replicatedTombstone(key);
    expect(deletion).toEqual({ orgId: ORG, payload: { name: 'no-cross-site', deleted: true, record: null } });
    expect(PolicyChangedSchema.safeParse((deletion as { payload: unknown }).payload).success).toBe(true);
  });

  it('keeps a "/" inside the name', () => {
    expect(replicatedTombstone(`${ORG}/team/a`)).toMatchObject({ payload: { name: 'team/a' } });
  });

  it.each([
    [null, 'without a key'],
    ['', 'without a key'],
    ['no-org/name', 'does not begin with an org id'],
    ['1fd6776a524453cc0a490d44@AdobeOrg/name', 'does not begin with an org id'],
    [ORG, 'names no record'],
    [`${ORG}/`, 'names no record'],
  ])('refuses the key %p (%s)', (key, reason) => {
    expect(replicatedTombstone(key)).toEqual({ error: expect.stringContaining(reason) });
  });
});
