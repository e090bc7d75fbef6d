import type { ResourceRecord } from '../domain/ports';

/**
 * A `resources` row as ClickHouse returns it (JSONEachRow), the dimensions every reader of
 * resources selects; readers add what their query computes beside them.
 */
export interface ResourceColumnsRow {
  id: string;
  cloud_account_id: string;
  cloud_resource_id: string;
  name: string;
  resource_type: string;
  region: string;
  service: string;
  owner: string;
  tags: Record<string, string>;
  first_seen: string;
  last_seen: string;
}

/**
 * The one mapping of a resource's dimensions to `resources` columns, for every writer of that table
 * and of the import's staging copy; writers add the columns only they set (owner and updated_at
 * for the live table, service_category for the staging one).
 */
export function resourceColumns(r: ResourceRecord) {
  return {
    id: r.id,
    organization_id: r.organizationId,
    cloud_account_id: r.cloudAccountId,
    cloud_resource_id: r.cloudResourceId,
    name: r.name,
    resource_type: r.resourceType,
    region: r.region,
    service: r.service,
    tags: r.tags,
    first_seen: `${r.firstSeen} 00:00:00`,
    last_seen: `${r.lastSeen} 00:00:00`,
  };
}
