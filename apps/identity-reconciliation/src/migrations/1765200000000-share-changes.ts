import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Shares that cost what changed. `share_changes` logs what may have changed a list's identifiers
 * (a recipient, the memberships an import flipped, a whole list, a whole org), stamped with the
 * org's `share_clock` at the writer's commit; a share reads the window since its audience's last
 * share. `share_members` keeps what each member of an audience contributed at that share (its
 * identifiers, or that it had none or was blocklisted), and `share_baselines` counts how many
 * members hold each identifier. Baselines written before this have no members recorded: they are
 * dropped, and the next share of each audience is a full one.
 */
export class ShareChanges1765200000000 implements MigrationInterface {
  name = 'ShareChanges1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE share_clock (
         org_id VARCHAR(40) NOT NULL PRIMARY KEY,
         clock BIGINT NOT NULL DEFAULT 0,
         pruned_clock BIGINT NOT NULL DEFAULT 0
       ) ENGINE=InnoDB`,
    );
    // kind: 1 = a recipient (rid), 2 = a recipient by id (visitor links), 3 = the memberships an
    // import flipped (list_members.changed_seq = import_seq), 4 = a whole list, 5 = the whole org
    await q.query(
      `CREATE TABLE share_changes (
         change_pk BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
         org_id VARCHAR(40) NOT NULL,
         clock BIGINT NOT NULL,
         kind TINYINT NOT NULL,
         list_pk BIGINT NULL,
         rid BIGINT NULL,
         recipient_id VARCHAR(128) NULL,
         import_seq BIGINT NULL,
         created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
         KEY idx_share_changes_clock (org_id, clock)
       ) ENGINE=InnoDB`,
    );
    // state: 1 = an identifier (id_hash), 0 = a member without one, 2 = a blocklisted member
    await q.query(
      `CREATE TABLE share_members (
         target_pk BIGINT NOT NULL,
         rid BIGINT NOT NULL,
         id_hash BINARY(16) NOT NULL,
         state TINYINT NOT NULL,
         PRIMARY KEY (target_pk, rid, id_hash)
       ) ENGINE=InnoDB`,
    );
    await q.query('DELETE FROM share_baselines');
    await q.query('ALTER TABLE share_baselines ADD COLUMN refs INT NOT NULL DEFAULT 1');
    await q.query(
      `ALTER TABLE share_targets ADD COLUMN clock BIGINT NULL, ADD COLUMN members INT NOT NULL DEFAULT 0, ADD COLUMN blocked INT NOT NULL DEFAULT 0,
         ADD COLUMN with_identifier INT NOT NULL DEFAULT 0, ADD COLUMN identifiers INT NOT NULL DEFAULT 0`,
    );
    await q.query('UPDATE share_targets SET last_export_id = NULL');
    await q.query('ALTER TABLE list_members ADD KEY idx_list_members_changed (list_pk, changed_seq)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE list_members DROP KEY idx_list_members_changed');
    await q.query('ALTER TABLE share_targets DROP COLUMN clock, DROP COLUMN members, DROP COLUMN blocked, DROP COLUMN with_identifier, DROP COLUMN identifiers');
    await q.query('ALTER TABLE share_baselines DROP COLUMN refs');
    await q.query('DROP TABLE share_members');
    await q.query('DROP TABLE share_changes');
    await q.query('DROP TABLE share_clock');
  }
}
