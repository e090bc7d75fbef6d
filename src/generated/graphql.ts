/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** Whole UTC days, both ends included; at most 366 days. */
export type DateRangeInput = {
  end: string;
  start: string;
};

/** From the age of the newest sample received: HEALTHY when recent, STALE when older, NO_DATA when none. */
export type K8sClusterStatus =
  | 'HEALTHY'
  | 'NO_DATA'
  | 'STALE';

/** A node (a cloud VM) or a persistent volume (a cloud disk) of a cluster. */
export type K8sResourceKind =
  | 'NODE'
  | 'VOLUME';

/** Where a cost comes from; a KUBERNETES account is one cluster; OTHER is any other FOCUS provider (Oracle, ...). */
export type Provider =
  | 'AWS'
  | 'AZURE'
  | 'GCP'
  | 'KUBERNETES'
  | 'OTHER';

export type DailyByServiceQueryVariables = Exact<{
  range: DateRangeInput;
}>;


export type DailyByServiceQuery = { expenseBreakdown: { total: number, previousTotal: number, totals: Array<{ key: string, name: string, total: number, previousTotal: number }>, days: Array<{ date: string, total: number, items: Array<{ key: string, name: string, cost: number }> }> } };

export type K8sAllocationQueryVariables = Exact<{
  range: DateRangeInput;
}>;


export type K8sAllocationQuery = { k8sAllocation: { total: number, items: Array<{ key: string, cpu: number, ram: number, gpu: number, storage: number, network: number, loadBalancer: number, overhead: number, idle: number, total: number, cpuEfficiency: number | null, ramEfficiency: number | null }>, days: Array<{ date: string, items: Array<{ key: string, total: number }> }> } };

export type K8sClustersQueryVariables = Exact<{
  range: DateRangeInput;
}>;


export type K8sClustersQuery = { k8sClusters: Array<{ id: string, name: string, provider: string, region: string, owner: string, status: K8sClusterStatus, lastDataAt: string | null, costs: { cpu: number, ram: number, gpu: number, storage: number, network: number | null, loadBalancer: number, management: number, idle: number, total: number }, dailyCosts: Array<{ date: string, provisional: boolean, costs: { total: number, idle: number } }> }> };

export type K8sReconciliationQueryVariables = Exact<{
  range: DateRangeInput;
}>;


export type K8sReconciliationQuery = { k8sClusters: Array<{ id: string, name: string, reconciliation: { estimated: number, billed: number, unbilled: number, reconciled: number, difference: number, resources: Array<{ kind: K8sResourceKind, providerId: string, estimated: number, billed: number | null, expense: { name: string, provider: Provider, cost: number } | null }> } }> };

export type SpendByProviderQueryVariables = Exact<{
  range: DateRangeInput;
}>;


export type SpendByProviderQuery = { costSummary: { total: number, previousTotal: number, byProvider: Array<{ provider: Provider, cost: number, previousCost: number }> } };

export type TopExpensesQueryVariables = Exact<{
  range: DateRangeInput;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type TopExpensesQuery = { expenses: { totalCount: number, totalCost: number, edges: Array<{ cursor: string, node: { name: string, provider: Provider, resourceType: string, region: string, service: string, owner: string, cost: number, cloudAccount: { name: string, type: Provider }, tags: Array<{ key: string, value: string }>, lastExpense: { date: string, cost: number } | null, k8sCosts: { cpu: number, ram: number, gpu: number, storage: number, network: number | null, loadBalancer: number, management: number, idle: number, total: number } | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };
