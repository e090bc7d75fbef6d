import type { OrganizationRepository } from '../domain/ports';
import type { Organization } from '../domain/model';
import { fromClickHouseTime, toClickHouseTime } from '../domain/days';
import type { Db } from './db';

interface OrganizationRow {
  id: string;
  name: string;
  created_at: string;
}

/** Organizations in ClickHouse (ReplacingMergeTree, read with FINAL). */
export class ClickHouseOrganizationRepository implements OrganizationRepository {
  constructor(private readonly db: Db) {}

  async create(org: Organization): Promise<void> {
    const at = toClickHouseTime(org.createdAt);
    await this.db.insert('organizations', [{ id: org.id, name: org.name, created_at: at, updated_at: at }]);
  }

  async get(id: string): Promise<Organization | null> {
    const rows = await this.db.query<OrganizationRow>(
      'SELECT id, name, created_at FROM {db:Identifier}.organizations FINAL WHERE id = {id:String}',
      { id },
    );
    return rows[0] ? toOrganization(rows[0]) : null;
  }

  async findByName(name: string): Promise<Organization | null> {
    const rows = await this.db.query<OrganizationRow>(
      `SELECT id, name, created_at FROM {db:Identifier}.organizations FINAL
       WHERE name = {name:String} ORDER BY created_at, id LIMIT 1`,
      { name },
    );
    return rows[0] ? toOrganization(rows[0]) : null;
  }
}

function toOrganization(row: OrganizationRow): Organization {
  return { id: row.id, name: row.name, createdAt: fromClickHouseTime(row.created_at) };
}
