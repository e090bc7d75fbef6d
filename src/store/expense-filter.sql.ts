import type { ExpenseFilter } from '../domain/model';
import type { Params } from './db';

/** A WHERE fragment and the parameters it binds; values never enter the SQL text. */
export interface SqlFragment {
  sql: string;
  params: Params;
}

/**
 * Resource-level conditions of an ExpenseFilter over the `dims` columns (see dimsCte).
 * Returns `1` when the filter restricts nothing.
 */
export function resourceFilterSql(filter: ExpenseFilter): SqlFragment {
  const conditions: string[] = [];
  const params: Params = {};
  const inList = (column: string, name: string, values: readonly string[] | undefined) => {
    if (values === undefined) return;
    conditions.push(`${column} IN {${name}:Array(String)}`);
    params[name] = values;
  };
  inList('r.id', 'f_ids', filter.resourceIds);
  inList('r.cloud_account_id', 'f_accounts', filter.cloudAccountIds);
  inList('ca.type', 'f_providers', filter.providers);
  inList('r.resource_type', 'f_types', filter.resourceTypes);
  inList('r.region', 'f_regions', filter.regions);
  inList('r.service', 'f_services', filter.services);
  inList('r.owner', 'f_owners', filter.owners);
  if (filter.k8sClusterIds !== undefined) {
    // The cluster's own row, and the billed resources reconciled as its nodes and volumes.
    conditions.push(`(r.cloud_account_id IN {f_clusters:Array(String)}
      OR r.id IN (SELECT resource_id FROM {db:Identifier}.k8s_resource_links FINAL
                  WHERE organization_id = {org:String} AND cluster_id IN {f_clusters:Array(String)}))`);
    params.f_clusters = filter.k8sClusterIds;
  }
  (filter.tags ?? []).forEach((tag, i) => {
    params[`f_tag_k${i}`] = tag.key;
    if (tag.value === undefined || tag.value === null) {
      conditions.push(`mapContains(r.tags, {f_tag_k${i}:String})`);
    } else {
      conditions.push(
        `(mapContains(r.tags, {f_tag_k${i}:String}) AND r.tags[{f_tag_k${i}:String}] = {f_tag_v${i}:String})`,
      );
      params[`f_tag_v${i}`] = tag.value;
    }
  });
  if (filter.nameContains !== undefined && filter.nameContains !== '') {
    conditions.push('positionCaseInsensitiveUTF8(r.name, {f_name:String}) > 0');
    params.f_name = filter.nameContains;
  }
  return { sql: conditions.length ? conditions.join(' AND ') : '1', params };
}

/** True when the filter needs resource columns, not just the cloud account's. */
export function needsResourceColumns(filter: ExpenseFilter): boolean {
  return Boolean(
    filter.resourceIds ||
    filter.k8sClusterIds ||
    filter.resourceTypes ||
    filter.regions ||
    filter.services ||
    filter.owners ||
    (filter.tags && filter.tags.length > 0) ||
    (filter.nameContains !== undefined && filter.nameContains !== ''),
  );
}

/** Account-level conditions (cloud account ids, providers) over `ca`. */
export function accountFilterSql(filter: ExpenseFilter): SqlFragment {
  const conditions: string[] = [];
  const params: Params = {};
  if (filter.cloudAccountIds !== undefined) {
    conditions.push('ca.id IN {f_accounts:Array(String)}');
    params.f_accounts = filter.cloudAccountIds;
  }
  if (filter.providers !== undefined) {
    conditions.push('ca.type IN {f_providers:Array(String)}');
    params.f_providers = filter.providers;
  }
  return { sql: conditions.length ? conditions.join(' AND ') : '1', params };
}
