import { ALL_SCOPES, ORG_SCOPES, Scopes, formatScopes, isScope, parseScopeList } from './scopes';

describe('scopes', () => {
  it('knows the six scopes of the contract, ims.admin reserved to the operator', () => {
    expect([...ALL_SCOPES].sort()).toEqual(['config.write', 'ims.admin', 'lists.write', 'profiles.write', 'read', 'segments.import']);
    expect(ORG_SCOPES).not.toContain(Scopes.imsAdmin);
    expect(isScope('read')).toBe(true);
    expect(isScope('openid')).toBe(false);
  });

  it('parses comma- or space-separated lists, dropping blanks and duplicates', () => {
    expect(parseScopeList('read,lists.write')).toEqual(['read', 'lists.write']);
    expect(parseScopeList(' read  lists.write,read ,, ')).toEqual(['read', 'lists.write']);
    expect(parseScopeList('')).toEqual([]);
    expect(parseScopeList(undefined)).toEqual([]);
    expect(formatScopes(['read', 'lists.write'])).toBe('read,lists.write');
  });
});
