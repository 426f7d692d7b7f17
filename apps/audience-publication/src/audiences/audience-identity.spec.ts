import { audienceDisplayName, audienceIdOf, segmentSidOf } from './audience-identity';

const ORG = '1FD6776A524453CC0A490D44@AdobeOrg';
const base = { orgId: ORG, dataSource: 'defaultDataSource', segmentId: '24', audienceName: null, listId: 'lst_1' };

describe('audience identity', () => {
  it('is deterministic for one org, data source and segment, whatever the list', () => {
    const sut = audienceIdOf(base);
    expect(sut).toMatch(/^aud_[0-9a-f]{24}$/);
    expect(audienceIdOf({ ...base, listId: 'lst_2', audienceName: 'renamed' })).toBe(sut);
  });

  it('differs per org, data source, and segment or name', () => {
    const ids = new Set([
      audienceIdOf(base),
      audienceIdOf({ ...base, orgId: 'AAAAAAAAAAAAAAAAAAAAAAAA@AdobeOrg' }),
      audienceIdOf({ ...base, dataSource: 'crm' }),
      audienceIdOf({ ...base, segmentId: '25' }),
      audienceIdOf({ ...base, segmentId: null, audienceName: '24' }),
      audienceIdOf({ ...base, segmentId: null, audienceName: null }),
    ]);
    expect(ids.size).toBe(6);
  });

  it('uses the segment id in intake tokens, or a stable numeric id for a named audience', () => {
    expect(segmentSidOf('aud_x', '24')).toBe('24');
    const named = segmentSidOf('aud_0123456789abcdef01234567', null);
    expect(named).toMatch(/^[0-9]{1,15}$/);
    expect(segmentSidOf('aud_0123456789abcdef01234567', null)).toBe(named);
  });

  it('names the audience after its name, else its segment, else its list', () => {
    expect(audienceDisplayName({ ...base, audienceName: 'Loyal buyers' })).toBe('Loyal buyers');
    expect(audienceDisplayName(base)).toBe('segment 24');
    expect(audienceDisplayName({ ...base, segmentId: null })).toBe('list lst_1');
  });
});
