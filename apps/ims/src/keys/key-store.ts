import { KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import type { JwksDocument, KeySource, PublicJwk } from '@audx/auth';
import { Errors } from '@audx/platform';
import type { AtRestCipher } from '@audx/persistence';
import { KeyPolicy, prunable, publishedAt, rotationDue, signingKeyAt } from './key-policy';
import { SigningKey } from './signing-key.entity';
import type { SigningKeysRepository } from './signing-keys.repository';

/** The part of SigningKeysRepository the store needs (an in-memory table in unit specs). */
export type KeyTable = Pick<SigningKeysRepository, 'findAll' | 'withKeyLock' | 'insert' | 'delete'>;

const generateKeyPairAsync = promisify(generateKeyPair);

interface LoadedKey {
  kid: string;
  createdAt: number;
  activeFrom: number;
  jwk: PublicJwk;
  publicKey: KeyObject;
  privateKeyEnc: string;
}

/** How long a replica trusts its in-memory copy of the key table. */
const CACHE_MS = 5_000;
const MAINTENANCE_MS = 60_000;

/**
 * The signing keys, shared by every replica through MySQL: the first key is created under a row
 * lock (replicas booting together agree on one), rotation is automatic by age (or on demand) and
 * publishes the next key before it signs, and replaced keys stay published until their last
 * token expires. Each replica re-reads the table every 5 s, and at once on an unknown kid.
 */
export class KeyStore implements KeySource, OnModuleInit, OnModuleDestroy {
  private keys: LoadedKey[] = [];
  private loadedAt = -Infinity;
  private missReloadAt = -Infinity;
  private loading: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly privateKeys = new Map<string, KeyObject>();

  constructor(
    private readonly repo: KeyTable,
    private readonly crypto: AtRestCipher,
    readonly policy: KeyPolicy,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.repo.withKeyLock(async (keys, manager) => {
      if (signingKeyAt(keys.map(timesOf), this.now())) return;
      const key = await this.generate(0);
      await this.repo.insert(manager, key);
      this.logger.info({ kid: key.kid }, 'first signing key created');
    });
    await this.reload();
    try {
      await this.signingKey();
    } catch (err) {
      throw new Error(`cannot decrypt the signing key; is IMS_KEY_ENCRYPTION_KEY the one it was encrypted with? (${err instanceof Error ? err.message : String(err)})`);
    }
    this.timer = setInterval(() => {
      this.maintain().catch((err) => this.logger.warn({ err: String(err) }, 'signing key maintenance failed'));
    }, MAINTENANCE_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A published public key (KeySource for this service's own verification). */
  async getKey(kid: string): Promise<KeyObject | null> {
    await this.fresh();
    let key = this.published().find((k) => k.kid === kid);
    if (!key && this.now() - this.missReloadAt >= 1000) {
      this.missReloadAt = this.now();
      await this.reload();
      key = this.published().find((k) => k.kid === kid);
    }
    return key?.publicKey ?? null;
  }

  async signingKey(): Promise<{ kid: string; privateKey: KeyObject }> {
    await this.fresh();
    const key = signingKeyAt(this.keys, this.now());
    if (!key) throw Errors.unavailable('no signing key is active');
    let privateKey = this.privateKeys.get(key.kid);
    if (!privateKey) {
      privateKey = createPrivateKey(this.crypto.decrypt(key.privateKeyEnc, key.kid));
      this.privateKeys.set(key.kid, privateKey);
    }
    return { kid: key.kid, privateKey };
  }

  async jwks(): Promise<JwksDocument> {
    await this.fresh();
    return { keys: this.published().map((k) => k.jwk) };
  }

  /** Adds a key that signs `activateInMs` from now (default: the publish lead). */
  async rotate(activateInMs = this.policy.leadMs): Promise<{ kid: string; activatesAt: Date }> {
    const key = await this.repo.withKeyLock(async (_, manager) => {
      const created = await this.generate(activateInMs);
      await this.repo.insert(manager, created);
      return created;
    });
    this.logger.info({ kid: key.kid, activatesAt: key.activeFrom.toISOString() }, 'signing key rotation scheduled');
    await this.reload();
    return { kid: key.kid, activatesAt: key.activeFrom };
  }

  /**
   * Retires a key at once: gone from the JWKS and from signing. When it was the signing key, a new
   * key signs from now (not an older one still published). Null when no such key is published.
   * Other replicas see it within their 5 s cache; guards refuse its tokens through the `key:<kid>`
   * revocation the caller publishes first.
   */
  async retire(kid: string): Promise<{ retired: string; signing: string } | null> {
    const signing = await this.repo.withKeyLock(async (rows, manager) => {
      if (!rows.some((r) => r.kid === kid)) return null;
      const wasSigning = signingKeyAt(rows.map(timesOf), this.now())?.kid === kid;
      await this.repo.delete(manager, [kid]);
      if (!wasSigning) return signingKeyAt(rows.filter((r) => r.kid !== kid).map(timesOf), this.now())?.kid ?? null;
      const next = await this.generate(0);
      await this.repo.insert(manager, next);
      return next.kid;
    });
    if (signing === null) return null;
    this.logger.warn({ kid, signing }, 'signing key retired');
    await this.reload();
    return { retired: kid, signing };
  }

  /** Every replica runs this; the lock makes one of them rotate or prune. */
  async maintain(): Promise<void> {
    await this.repo.withKeyLock(async (rows, manager) => {
      const keys = rows.map(timesOf);
      const now = this.now();
      if (rotationDue(keys, now, this.policy)) {
        const key = await this.generate(this.policy.leadMs);
        await this.repo.insert(manager, key);
        this.logger.info({ kid: key.kid, activatesAt: key.activeFrom.toISOString() }, 'signing key rotated by age');
      }
      await this.repo.delete(
        manager,
        prunable(keys, now, this.policy).map((k) => k.kid),
      );
    });
    await this.reload();
  }

  private published(): LoadedKey[] {
    return publishedAt(this.keys, this.now(), this.policy);
  }

  private async fresh(): Promise<void> {
    if (this.now() - this.loadedAt > CACHE_MS) await this.reload();
  }

  private reload(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const rows = await this.repo.findAll();
    const previous = new Map(this.keys.map((k) => [k.kid, k]));
    this.keys = rows.map((row) => {
      const known = previous.get(row.kid);
      if (known) return known;
      const jwk = JSON.parse(row.publicJwk) as PublicJwk;
      return {
        ...timesOf(row),
        jwk,
        publicKey: createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' }),
        privateKeyEnc: row.privateKeyEnc,
      };
    });
    for (const kid of this.privateKeys.keys()) if (!this.keys.some((k) => k.kid === kid)) this.privateKeys.delete(kid);
    this.loadedAt = this.now();
  }

  private async generate(activateInMs: number): Promise<SigningKey> {
    const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
    const { n, e } = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
    // RFC 7638 thumbprint: a kid every replica derives the same way
    const kid = createHash('sha256').update(JSON.stringify({ e, kty: 'RSA', n })).digest('base64url');
    const jwk: PublicJwk = { kty: 'RSA', kid, n, e, alg: 'RS256', use: 'sig' };
    const now = this.now();
    const key = new SigningKey();
    key.kid = kid;
    key.publicJwk = JSON.stringify(jwk);
    key.privateKeyEnc = this.crypto.encrypt(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), kid);
    key.createdAt = new Date(now);
    key.activeFrom = new Date(now + activateInMs);
    return key;
  }
}

function timesOf(row: SigningKey): { kid: string; createdAt: number; activeFrom: number } {
  return { kid: row.kid, createdAt: row.createdAt.getTime(), activeFrom: row.activeFrom.getTime() };
}
