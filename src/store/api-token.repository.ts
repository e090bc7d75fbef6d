import type { ApiTokenRepository, StoredToken } from '../domain/ports';
import { toClickHouseTime } from '../domain/days';
import type { Db } from './db';

/** API tokens by their SHA-256 (hex); the token itself is never stored. */
export class ClickHouseApiTokenRepository implements ApiTokenRepository {
  constructor(private readonly db: Db) {}

  async create(tokenHash: string, token: StoredToken): Promise<void> {
    const now = toClickHouseTime(new Date());
    await this.db.insert('api_tokens', [
      {
        token_hash: tokenHash,
        id: token.id,
        organization_id: token.organizationId,
        name: token.name,
        revoked: token.revoked ? 1 : 0,
        created_at: now,
        updated_at: now,
      },
    ]);
  }

  async findByHash(tokenHash: string): Promise<StoredToken | null> {
    const rows = await this.db.query<{ id: string; organization_id: string; name: string; revoked: number }>(
      `SELECT id, organization_id, name, revoked FROM {db:Identifier}.api_tokens FINAL
       WHERE token_hash = {hash:FixedString(64)}`,
      { hash: tokenHash },
    );
    const row = rows[0];
    return row
      ? {
          id: row.id,
          organizationId: row.organization_id,
          name: row.name,
          revoked: Number(row.revoked) === 1,
        }
      : null;
  }
}
