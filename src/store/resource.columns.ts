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
