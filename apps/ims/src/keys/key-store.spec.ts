import { randomBytes } from 'node:crypto';
import pino from 'pino';
import type { EntityManager } from 'typeorm';
import { signRs256, StaticKeySource, TokenVerifier } from '@audx/auth';
import { AtRestCipher } from '@audx/persistence';
import { KeyStore, KeyTable } from './key-store';
import type { SigningKey } from './signing-key.entity';

const H = 3_600_000;

/** The key table in memory; the lock is a promise chain, as the row lock serialises replicas. */
class InMemoryKeyTable implements KeyTable {
  rows: SigningKey[] = [];
  private lock: Promise<unknown> = Promise.resolve();

  async findAll(): Promise<SigningKey[]> {
    return [...this.rows].sort((a, b) => a.activeFrom.getTime() - b.activeFrom.getTime());
  }

  withKeyLock<T>(work: (keys: SigningKey[], manager: EntityManager) => Promise<T>): Promise<T> {
    const run = this.lock.then(async () => work(await this.findAll(), {} as EntityManager));
    this.lock = run.catch(() => undefined);
    return run;
  }

  async insert(_: EntityManager, key: SigningKey): Promise<void> {
    this.rows.push(key);
  }

  async delete(_: EntityManager, kids: string[]): Promise<void> {
    this.rows = this.rows.filter((r) => !kids.includes(r.kid));
  }
}

describe(KeyStore.name, () => {
  const policy = { tokenTtlMs: 24 * H, maxAgeMs: 30 * 24 * H, leadMs: H / 4, graceMs: 120_000 };
  const crypto = new AtRestCipher(randomBytes(32));
  let table: InMemoryKeyTable;
  let now: number;
  const store = () => new KeyStore(table, crypto, policy, pino({ level: 'silent' }), () => now);
  const kids = async (s: KeyStore) => (await s.jwks()).keys.map((k) => k.kid);

  beforeEach(() => {
    table = new InMemoryKeyTable();
    now = Date.UTC(2026, 0, 1);
  });

  it('replicas starting together create one first key and sign with it', async () => {
    const [a, b] = [store(), store()];
    await Promise.all([a.onModuleInit(), b.onModuleInit()]);
    a.onModuleDestroy();
    b.onModuleDestroy();
    expect(table.rows).toHaveLength(1);
    expect((await a.signingKey()).kid).toBe(table.rows[0].kid);
    expect(await kids(b)).toEqual([table.rows[0].kid]);
    expect(table.rows[0].privateKeyEnc).not.toContain('PRIVATE');
  });

  it('rotates by age: the next key is published a lead before it signs, the old one stays until its tokens expired', async () => {
    const sut = store();
    await sut.onModuleInit();
    sut.onModuleDestroy();
    const first = (await sut.signingKey()).kid;
    now += policy.maxAgeMs - 1;
    await sut.maintain();
    expect(table.rows).toHaveLength(1);
    now += 1;
    await sut.maintain();
    await sut.maintain(); // a second replica's pass adds nothing: a key is pending
    expect(table.rows).toHaveLength(2);
    const next = table.rows.find((r) => r.kid !== first)!.kid;
    expect(await kids(sut)).toEqual([first, next]);
    expect((await sut.signingKey()).kid).toBe(first);
    now += policy.leadMs;
    expect((await sut.signingKey()).kid).toBe(next);
    now += policy.tokenTtlMs + policy.graceMs - 1;
    expect(await kids(sut)).toEqual([first, next]);
    expect(await sut.getKey(first)).not.toBeNull();
    now += 1;
    expect(await kids(sut)).toEqual([next]);
    expect(await sut.getKey(first)).toBeNull();
    now += 24 * H;
    await sut.maintain();
    expect(table.rows.map((r) => r.kid)).toEqual([next]);
  });

  it('signs tokens its own key source verifies, across a rotation', async () => {
    const sut = store();
    await sut.onModuleInit();
    sut.onModuleDestroy();
    const verifier = new TokenVerifier(sut, null);
    const claims = (t: number) => ({ iss: 'i', sub: 's', iat: t, exp: t + 3600, jti: 'j', type: 'access_token', client_id: 'c', user_id: 'u', as: 'ims-na1', scope: 'read', created_at: String(t * 1000), expires_in: '3600000' });
    const signed = async () => {
      const { kid, privateKey } = await sut.signingKey();
      return signRs256(claims(Math.floor(now / 1000)), privateKey, kid);
    };
    const before = await signed();
    now += 1;
    await sut.rotate(0);
    const after = await signed();
    expect(after.split('.')[0]).not.toBe(before.split('.')[0]);
    for (const token of [before, after]) expect((await verifier.verify(token, now)).valid).toBe(true);
    // an unrelated key set does not verify them
    expect((await new TokenVerifier(new StaticKeySource(new Map()), null).verify(after, now)).valid).toBe(false);
  });

  it('refuses to start when the key encryption key is not the one the keys were encrypted with', async () => {
    await store().onModuleInit().then(() => undefined);
    const wrong = new KeyStore(table, new AtRestCipher(randomBytes(32)), policy, pino({ level: 'silent' }), () => now);
    await expect(wrong.onModuleInit()).rejects.toThrow('cannot decrypt the signing key');
  });
});
