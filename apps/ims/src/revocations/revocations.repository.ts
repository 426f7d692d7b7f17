import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { RevokedToken } from './revoked-token.entity';

@Injectable()
export class RevocationsRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Inserts unless already there (revoking twice is not an error). */
  async insert(manager: EntityManager, row: RevokedToken): Promise<boolean> {
    const result = await manager.createQueryBuilder().insert().into(RevokedToken).values(row).orIgnore().execute();
    return Number((result.raw as { affectedRows?: number }).affectedRows ?? 0) > 0;
  }

  /** Whether a live revocation covers this token (its own jti, or a cut-off of its client). */
  async covers(token: { jti: string; clientId: string; createdAtMs: number }, nowSec: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM revoked_tokens
        WHERE expires_at >= ?
          AND (jti = ? OR (client_id = ? AND kind = 'client' AND (created_at_or_before_ms IS NULL OR created_at_or_before_ms >= ?)))
        LIMIT 1`,
      [Math.floor(nowSec), token.jti, token.clientId, token.createdAtMs],
    );
    return rows.length > 0;
  }

  async deleteExpired(nowSec: number, limit = 1000): Promise<number> {
    const result = await this.dataSource.query('DELETE FROM revoked_tokens WHERE expires_at < ? LIMIT ?', [Math.floor(nowSec), limit]);
    return Number((result as { affectedRows?: number }).affectedRows ?? 0);
  }
}
