import { rsaKey } from '../test/support';
import { RemoteJwks, publicKeyFromJwk } from './jwks';

function jwk(kid: string, modulusLength = 2048) {
  const { publicKey } = rsaKey(modulusLength);
  return { ...(publicKey.export({ format: 'jwk' }) as object), kid, alg: 'RS256', use: 'sig' };
}

describe(RemoteJwks.name, () => {
  const k1 = jwk('k1');
  const k2 = jwk('k2');
  let served: object[];
  let calls: number;
  let now: number;
  let down: boolean;
  let hanging: boolean;
  const fetchStub: typeof fetch = async () => {
    calls++;
    if (hanging) return new Promise<Response>(() => undefined);
    if (down) throw new Error('ECONNREFUSED');
    return new Response(JSON.stringify({ keys: served }), { status: 200 });
  };
  let sut: RemoteJwks;

  beforeEach(() => {
    served = [k1];
    calls = 0;
    now = 1_000_000;
    down = false;
    hanging = false;
    sut = new RemoteJwks('http://ims/ims/keys', { cacheMaxAgeMs: 60_000, cooldownMs: 10_000, fetch: fetchStub, now: () => now });
  });

  it('fetches once and serves known kids from the cache', async () => {
    expect(await sut.getKey('k1')).not.toBeNull();
    expect(await sut.getKey('k1')).not.toBeNull();
    expect(calls).toBe(1);
  });

  it('refetches on an unknown kid at most once per cooldown', async () => {
    await sut.getKey('k1');
    served = [k1, k2];
    expect(await sut.getKey('k2')).toBeNull(); // within cooldown of the first fetch
    expect(calls).toBe(1);
    now += 10_000;
    expect(await sut.getKey('k2')).not.toBeNull();
    expect(await sut.getKey('forged')).toBeNull();
    expect(await sut.getKey('forged')).toBeNull();
    expect(calls).toBe(2);
  });

  it('refetches a stale set, and keeps serving it while IMS is down', async () => {
    await sut.getKey('k1');
    now += 60_000;
    down = true;
    expect(await sut.getKey('k1')).not.toBeNull();
    expect(calls).toBe(2);
  });

  it('while IMS is down, refetches a stale set and tries unknown kids at most once per cooldown', async () => {
    await sut.getKey('k1');
    now += 60_000;
    down = true;
    for (let i = 0; i < 5; i++) {
      expect(await sut.getKey('k1')).not.toBeNull();
      expect(await sut.getKey('forged')).toBeNull();
    }
    expect(calls).toBe(2);
    now += 10_000;
    for (let i = 0; i < 5; i++) expect(await sut.getKey('forged')).toBeNull();
    expect(calls).toBe(3);
  });

  it('serves a stale set at once and refreshes it in the background', async () => {
    await sut.getKey('k1');
    now += 60_000;
    hanging = true;
    expect(await sut.getKey('k1')).not.toBeNull(); // would wait forever on the fetch
    expect(await sut.getKey('k1')).not.toBeNull();
    expect(calls).toBe(2);
  });

  it('picks up a new key from the background refresh', async () => {
    await sut.getKey('k1');
    now += 60_000;
    served = [k2];
    expect(await sut.getKey('k1')).not.toBeNull(); // stale, served
    expect(await sut.getKey('k2')).not.toBeNull(); // from the refresh it started
    expect(await sut.getKey('k1')).toBeNull();
    expect(calls).toBe(2);
  });

  it('throws when it never had a key set', async () => {
    down = true;
    await expect(sut.getKey('k1')).rejects.toThrow('ECONNREFUSED');
  });

  it('imports only RSA signing keys of 2048 bits or more', () => {
    expect(publicKeyFromJwk(k1)?.kid).toBe('k1');
    expect(publicKeyFromJwk(jwk('small', 1024))).toBeNull();
    expect(publicKeyFromJwk({ ...k1, use: 'enc' })).toBeNull();
    expect(publicKeyFromJwk({ ...k1, alg: 'RS512' })).toBeNull();
    expect(publicKeyFromJwk({ kty: 'oct', kid: 'x', k: 'c2VjcmV0' })).toBeNull();
    expect(publicKeyFromJwk({ ...k1, n: 'not-a-modulus' })).toBeNull();
  });
});
