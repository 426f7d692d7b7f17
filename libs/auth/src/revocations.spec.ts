import { RevocationList, clientRevocationId, keyRevocationId, parseRevocation } from './revocations';

const NOW = 1_800_000_000;
const NOW_MS = NOW * 1000;
const token = (jti: string, client_id = 'c1', createdAtMs = NOW_MS - 10_000) => ({ jti, client_id, created_at: String(createdAtMs) });

describe(RevocationList.name, () => {
  let sut: RevocationList;
  beforeEach(() => {
    sut = new RevocationList();
  });

  it('revokes a token by jti until its expiry', () => {
    sut.add('j1', NOW + 60, NOW);
    expect(sut.isRevoked(token('j1'), NOW)).toBe(true);
    expect(sut.isRevoked(token('j2'), NOW)).toBe(false);
    expect(sut.isRevoked(token('j1'), NOW + 61)).toBe(false);
  });

  it('revokes every token of a deleted client, whatever its age', () => {
    sut.add(clientRevocationId('c1'), NOW + 60, NOW);
    expect(sut.isRevoked(token('a', 'c1', NOW_MS - 1_000_000), NOW)).toBe(true);
    expect(sut.isRevoked(token('b', 'c1', NOW_MS + 5000), NOW)).toBe(true);
    expect(sut.isRevoked(token('c', 'c2'), NOW)).toBe(false);
  });

  it('revokes the tokens of a client created at or before a cut-off in ms (cascading)', () => {
    const cut = NOW_MS + 500;
    sut.add(clientRevocationId('c1', cut), NOW + 60, NOW);
    expect(sut.isRevoked(token('old', 'c1', cut), NOW)).toBe(true);
    // issued later in the same second as the cut-off: not revoked
    expect(sut.isRevoked(token('new', 'c1', cut + 1), NOW)).toBe(false);
  });

  it('keeps one cut-off per client however often it is cut, each later one covering the earlier', () => {
    for (let i = 0; i < 1000; i++) sut.add(clientRevocationId('c1', NOW_MS + i), NOW + 60 + i, NOW);
    expect(sut.size).toBe(1);
    expect(sut.isRevoked(token('old', 'c1', NOW_MS), NOW)).toBe(true);
    expect(sut.isRevoked(token('last', 'c1', NOW_MS + 999), NOW + 1000)).toBe(true);
    expect(sut.isRevoked(token('after', 'c1', NOW_MS + 1000), NOW)).toBe(false);
    // a cut-off reaching later but expiring sooner covers different tokens: both are kept
    sut.add(clientRevocationId('c1', NOW_MS + 5000), NOW + 30, NOW);
    expect(sut.size).toBe(2);
    expect(sut.isRevoked(token('between', 'c1', NOW_MS + 4000), NOW + 20)).toBe(true);
    expect(sut.isRevoked(token('old', 'c1', NOW_MS), NOW + 1000)).toBe(true);
  });

  it('reads a cut-off in epoch seconds (published before ms) as the end of that second', () => {
    sut.add(`client:c1:${NOW}`, NOW + 60, NOW);
    expect(sut.isRevoked(token('same-second', 'c1', NOW_MS + 999), NOW)).toBe(true);
    expect(sut.isRevoked(token('next-second', 'c1', NOW_MS + 1000), NOW)).toBe(false);
  });

  it('ignores entries already expired and prunes the ones that expire', () => {
    sut.add('gone', NOW - 1, NOW);
    sut.add('j1', NOW + 10, NOW);
    sut.add(clientRevocationId('c9'), NOW + 10, NOW);
    expect(sut.size).toBe(2);
    expect(sut.prune(NOW + 11)).toBe(2);
    expect(sut.size).toBe(0);
  });

  it('counts a revocation replayed by a reconnecting feed once, and turns not ready when the feed is stale', () => {
    sut.markReady();
    for (let i = 0; i < 3; i++) {
      sut.add('j1', NOW + 10, NOW);
      sut.add(clientRevocationId('c1', 5), NOW + 10, NOW);
    }
    expect(sut.size).toBe(2);
    sut.markStale();
    expect(sut.ready).toBe(false);
  });

  it('retires a signing key until its last token expires', () => {
    sut.add(keyRevocationId('kid-1'), NOW + 60, NOW);
    expect(sut.isKeyRetired('kid-1', NOW)).toBe(true);
    expect(sut.isKeyRetired('kid-2', NOW)).toBe(false);
    expect(sut.isRevoked({ jti: 'key:kid-1', client_id: 'c1', created_at: String(NOW * 1000) }, NOW)).toBe(false);
    expect(sut.prune(NOW + 61)).toBe(1);
    expect(sut.isKeyRetired('kid-1', NOW + 61)).toBe(false);
  });

  it('parses synthetic client ids, including client ids with colons', () => {
    expect(parseRevocation('0b6f3e0e-6d33-4d49-9f3c-2a9b1c1e4d10', 5)).toEqual({ kind: 'token', jti: '0b6f3e0e-6d33-4d49-9f3c-2a9b1c1e4d10', exp: 5 });
    expect(parseRevocation('client:abc', 5)).toEqual({ kind: 'client', clientId: 'abc', createdAtOrBeforeMs: Number.POSITIVE_INFINITY, exp: 5 });
    expect(parseRevocation('client:a:b:1800000000123', 5)).toEqual({ kind: 'client', clientId: 'a:b', createdAtOrBeforeMs: 1_800_000_000_123, exp: 5 });
    expect(parseRevocation('client:a:b:123', 5)).toEqual({ kind: 'client', clientId: 'a:b', createdAtOrBeforeMs: 123_999, exp: 5 });
    expect(parseRevocation(clientRevocationId('a:b', NOW_MS), 5)).toMatchObject({ clientId: 'a:b', createdAtOrBeforeMs: NOW_MS });
  });
});
