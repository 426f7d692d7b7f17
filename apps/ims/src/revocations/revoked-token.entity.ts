import { Column, Entity, PrimaryColumn, ValueTransformer } from 'typeorm';

const bigintNumber: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | null) => (v === null ? null : Number(v)),
};

/**
 * One revocation: a token (`kind` token, `jti` its jti) or every token of a client created (its
 * `created_at` claim, epoch ms) at or before `createdAtOrBeforeMs` (`kind` client, NULL = all: the
 * client was deleted). The `jti` column is the id published on ims.token.revoked (see
 * clientRevocationId in @audx/auth). `kind` key retires a signing key (`jti` key:<kid>, no client).
 */
@Entity('revoked_tokens')
export class RevokedToken {
  @PrimaryColumn({ type: 'varchar', length: 160 })
  jti: string;

  @Column({ type: 'varchar', length: 16 })
  kind: 'token' | 'client' | 'key';

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  @Column({ name: 'org_id', type: 'varchar', length: 40, nullable: true })
  orgId: string | null;

  @Column({ name: 'created_at_or_before_ms', type: 'bigint', nullable: true, transformer: bigintNumber })
  createdAtOrBeforeMs: number | null;

  /** Epoch seconds after which every token it covers has expired. */
  @Column({ name: 'expires_at', type: 'bigint', transformer: bigintNumber })
  expiresAt: number;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3 })
  revokedAt: Date;
}
