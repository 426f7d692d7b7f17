import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AtRestCipher } from '@audx/persistence';
import { rows } from '../common/sql';
import { DATA_SOURCE_KEY_CIPHER } from '../data-sources/data-sources.repository';

export interface LinkKey {
  kid: number;
  secret: Buffer;
}

const aad = (orgId: string, kid: number) => `link_keys/${orgId}/${kid}`;

/** The orgs' tracking-link keys, sealed at rest (the row's org and kid are the associated data). */
@Injectable()
export class LinkKeysRepository {
  constructor(@Inject(DATA_SOURCE_KEY_CIPHER) private readonly cipher: AtRestCipher) {}

  /** The key that signs the org's new links; the org's first key is made on first use. */
  async signing(manager: EntityManager, orgId: string): Promise<LinkKey> {
    const live = () => rows<{ kid: number; sealed: string }>(manager, 'SELECT kid, sealed FROM link_keys WHERE org_id = ? AND retired_at IS NULL ORDER BY kid DESC LIMIT 1', [orgId]);
    let [found] = await live();
    if (!found) {
      await this.insert(manager, orgId, 1);
      [found] = await live();
    }
    return this.open(orgId, found);
  }

  /** Keys that may still verify a link: the live one, and rotated-out ones until `retiredSince`. */
  async verifying(manager: EntityManager, orgId: string, retiredSince: Date): Promise<LinkKey[]> {
    const found = await rows<{ kid: number; sealed: string }>(
      manager,
      'SELECT kid, sealed FROM link_keys WHERE org_id = ? AND revoked = 0 AND (retired_at IS NULL OR retired_at > ?) ORDER BY kid DESC',
      [orgId, retiredSince],
    );
    return found.map((k) => this.open(orgId, k));
  }

  /**
   * A new signing key. The previous ones verify the links they signed until those expire, or
   * never again when `revokePrevious` (a leaked key). Answers the new key's id.
   */
  async rotate(manager: EntityManager, orgId: string, revokePrevious: boolean): Promise<number> {
    const [top] = await rows<{ kid: number | null }>(manager, 'SELECT MAX(kid) AS kid FROM link_keys WHERE org_id = ? FOR UPDATE', [orgId]);
    const kid = Number(top?.kid ?? 0) + 1;
    await manager.query('UPDATE link_keys SET retired_at = COALESCE(retired_at, ?), revoked = revoked OR ? WHERE org_id = ?', [new Date(), revokePrevious ? 1 : 0, orgId]);
    await this.insert(manager, orgId, kid);
    return kid;
  }

  private async insert(manager: EntityManager, orgId: string, kid: number): Promise<void> {
    const sealed = this.cipher.encrypt(randomBytes(32).toString('base64url'), aad(orgId, kid));
    // IGNORE: two first uses at once both try kid 1; one key results
    await manager.query('INSERT IGNORE INTO link_keys (org_id, kid, sealed, created_at) VALUES (?, ?, ?, ?)', [orgId, kid, sealed, new Date()]);
  }

  private open(orgId: string, row: { kid: number; sealed: string }): LinkKey {
    const kid = Number(row.kid);
    return { kid, secret: Buffer.from(this.cipher.decrypt(row.sealed, aad(orgId, kid)), 'base64url') };
  }
}
