import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A technical account of an organization: client id, hashed secret(s), allowed scopes. */
@Entity('integrations')
export class Integration {
  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  @Column({ name: 'org_id', type: 'varchar', length: 40 })
  orgId: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ name: 'technical_account_id', type: 'varchar', length: 100 })
  technicalAccountId: string;

  /** Comma-separated. */
  @Column({ type: 'varchar', length: 512 })
  scopes: string;

  /** scrypt; NULL once deleted. */
  @Column({ name: 'secret_hash', type: 'varchar', length: 255, nullable: true })
  secretHash: string | null;

  /** The secret before the last rotation, accepted until `previousSecretExpiresAt`. */
  @Column({ name: 'previous_secret_hash', type: 'varchar', length: 255, nullable: true })
  previousSecretHash: string | null;

  @Column({ name: 'previous_secret_expires_at', type: 'datetime', precision: 3, nullable: true })
  previousSecretExpiresAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'deleted_at', type: 'datetime', precision: 3, nullable: true })
  deletedAt: Date | null;
}
