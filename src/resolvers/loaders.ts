import DataLoader from 'dataloader';
import {
  tagList,
  type CloudAccount,
  type DayRange,
  type ExpenseRow,
  type K8sCostBreakdown,
} from '../domain/model';
import { parseDay } from '../domain/days';
import type { LastExpense, ResourceRecord } from '../domain/ports';
import type { AlertDelivery, BudgetAlert } from '../domain/budget';
import type { Services } from './services';

/**
 * A loader whose keys carry a group (a range, a day) besides the id: one batch makes one query
 * per distinct group, which in practice is one, since a page asks for one range.
 */
function groupedLoader<Group, Value>(
  groupKey: (group: Group) => string,
  fetch: (group: Group, ids: readonly string[]) => Promise<Map<string, Value>>,
): DataLoader<{ id: string; group: Group }, Value | null, string> {
  return new DataLoader(
    async (keys) => {
      const groups = new Map<string, { group: Group; ids: Set<string> }>();
      for (const key of keys) {
        const name = groupKey(key.group);
        const entry = groups.get(name) ?? { group: key.group, ids: new Set<string>() };
        entry.ids.add(key.id);
        groups.set(name, entry);
      }
      const results = new Map<string, Map<string, Value>>();
      await Promise.all(
        [...groups.entries()].map(async ([name, { group, ids }]) => {
          results.set(name, await fetch(group, [...ids]));
        }),
      );
      return keys.map((key) => results.get(groupKey(key.group))?.get(key.id) ?? null);
    },
    { cacheKeyFn: (key) => `${groupKey(key.group)}|${key.id}` },
  );
}

const rangeKey = (range: DayRange) => `${range.start}..${range.end}`;

/** The fields of an expense row that are its resource's metadata. */
export type ResourceDetails = Pick<
  ExpenseRow,
  | 'cloudResourceId'
  | 'name'
  | 'resourceType'
  | 'region'
  | 'service'
  | 'owner'
  | 'tags'
  | 'firstSeen'
  | 'lastSeen'
>;

function toDetails(record: ResourceRecord): ResourceDetails {
  return {
    cloudResourceId: record.cloudResourceId,
    name: record.name,
    resourceType: record.resourceType,
    region: record.region,
    service: record.service,
    owner: record.owner,
    tags: tagList(record.tags),
    firstSeen: parseDay(record.firstSeen) as Date,
    lastSeen: parseDay(record.lastSeen) as Date,
  };
}

/** Per-request batching of the per-row lookups, all scoped to the caller's organization. */
export function createLoaders(services: Services, organizationId: string) {
  return {
    cloudAccount: new DataLoader<string, CloudAccount | null>(async (ids) => {
      const found = await services.cloudAccounts.getMany(organizationId, ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
    /**
     * Resource details from MongoDB (one `$in` per request), shaped as an expense row carries
     * them; null on the embedded default.
     */
    resourceDetails: services.resources
      ? new DataLoader<string, ResourceDetails | null>(async (ids) => {
          const found = await (services.resources as NonNullable<Services['resources']>).getMany(
            organizationId,
            ids,
          );
          return ids.map((id) => {
            const record = found.get(id);
            return record ? toDetails(record) : null;
          });
        })
      : null,
    lastExpense: groupedLoader<string, LastExpense>(
      (upTo) => upTo,
      (upTo, ids) => services.expenses.lastExpenses(organizationId, ids, upTo),
    ),
    dailyCosts: groupedLoader<DayRange, { date: string; cost: number }[]>(rangeKey, (range, ids) =>
      services.expenses.dailyCosts(organizationId, ids, range),
    ),
    k8sCostsByResource: groupedLoader<DayRange, K8sCostBreakdown>(rangeKey, (range, ids) =>
      services.expenses.k8sCosts(organizationId, ids, range),
    ),
    expenseByResource: groupedLoader<DayRange, ExpenseRow>(rangeKey, (range, ids) =>
      services.expenses.byResourceIds(organizationId, ids, range),
    ),
    /** A budget's newest 100 alerts (Budget.alerts), every budget of a response in one query. */
    budgetAlerts: new DataLoader<string, BudgetAlert[]>(async (ids) => {
      const found = await services.budgets.alertsByBudget(organizationId, ids, 100);
      return ids.map((id) => found.get(id) ?? []);
    }),
    alertDeliveries: new DataLoader<string, AlertDelivery[]>(async (ids) => {
      const found = await services.budgets.deliveries(organizationId, ids);
      return ids.map((id) => found.get(id) ?? []);
    }),
    clusterLink: new DataLoader<string, string | null>(async (ids) => {
      const found = await services.reconciliation.clusterLinks(organizationId, ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
    clusterLastDataAt: new DataLoader<string, Date | null>(async (ids) => {
      const found = await services.k8sClusters.lastDataAt(ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
    clusterCosts: groupedLoader<DayRange, K8sCostBreakdown>(rangeKey, (range, ids) =>
      services.k8sClusters.costs(organizationId, ids, range),
    ),
    clusterDailyCosts: groupedLoader<
      DayRange,
      { date: string; costs: K8sCostBreakdown; provisional: boolean }[]
    >(rangeKey, (range, ids) => services.k8sClusters.dailyCosts(organizationId, ids, range)),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
