import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An RS256 key pair; the private key is AES-256-GCM encrypted (see AtRestCipher). */
@Entity('signing_keys')
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  /** The public JWK as JSON, exactly as served at /ims/keys. */
  @Column({ name: 'public_jwk', type: 'text' })
  publicJwk: string;

  @Column({ name: 'private_key_enc', type: 'text' })
  privateKeyEnc: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  /** Signs from this moment; published in the JWKS from `createdAt`. */
  @Column({ name: 'active_from', type: 'datetime', precision: 3 })
  activeFrom: Date;
}
