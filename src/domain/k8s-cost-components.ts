/**
 * The components of a cluster's cost, defined once. The breakdown type, its zero, its total, the
 * ClickHouse columns (writer, readers, row mappers), the calculator's output and the GraphQL type
 * `K8sCosts` are all derived from this list: a new component is one entry here (plus a column in
 * a migration) and its computation in `src/k8s-cost/k8s-cost.queries.ts`.
 *
 * `additive` components add up to the total; `idle` is a part of cpu + ram + gpu, not an addition.
 * A `nullable` component is null when it is unknown (network without byte counters), not zero.
 */
export const K8S_COST_COMPONENTS = [
  { key: 'cpu', column: 'cpu_cost', additive: true, nullable: false },
  { key: 'ram', column: 'ram_cost', additive: true, nullable: false },
  { key: 'gpu', column: 'gpu_cost', additive: true, nullable: false },
  {
    key: 'nodeUnsplit',
    column: 'node_unsplit_cost',
    additive: true,
    nullable: false,
    description: 'Node cost charged in full whose cpu/ram/gpu split was impossible (capacity unknown).',
  },
  { key: 'storage', column: 'storage_cost', additive: true, nullable: false },
  {
    key: 'network',
    column: 'network_cost',
    additive: true,
    nullable: true,
    description: 'null when network byte counters were missing on some day: unknown, not zero.',
  },
  { key: 'loadBalancer', column: 'load_balancer_cost', additive: true, nullable: false },
  { key: 'management', column: 'management_cost', additive: true, nullable: false },
  { key: 'idle', column: 'idle_cost', additive: false, nullable: false },
] as const satisfies readonly K8sCostComponentSpec[];

export interface K8sCostComponentSpec {
  /** Field name in the model and in GraphQL (OpenCost's name where one exists). */
  key: string;
  /** Column of `k8s_cost_breakdown`. */
  column: string;
  additive: boolean;
  nullable: boolean;
  /** GraphQL field description, when the name alone does not say enough. */
  description?: string;
}

type Component = (typeof K8S_COST_COMPONENTS)[number];
export type K8sCostComponent = Component['key'];
/** The components that add up to the total (all but idle). */
export type AdditiveK8sCostComponent = Extract<Component, { additive: true }>['key'];
type NullableComponent = Extract<Component, { nullable: true }>['key'];

/** The cost of a cluster split by what it was spent on (US dollars). */
export type K8sCostBreakdown = {
  [K in K8sCostComponent]: K extends NullableComponent ? number | null : number;
} & { total: number };

/** Column of the total beside the components' columns. */
export const TOTAL_COLUMN = 'total_cost';

/** The components that add up to the total, in list order. */
export const ADDITIVE_K8S_COST_COMPONENTS = K8S_COST_COMPONENTS.filter(
  (c): c is Extract<Component, { additive: true }> => c.additive,
);

/** Every value of a breakdown with its column: the components, then the total. */
export const K8S_COST_COLUMNS: readonly {
  key: K8sCostComponent | 'total';
  column: string;
  nullable: boolean;
  description?: string;
}[] = [...K8S_COST_COMPONENTS, { key: 'total', column: TOTAL_COLUMN, nullable: false }];

/** A breakdown of nothing: zeros, and null (unknown) for nullable components. */
export function zeroBreakdown(): K8sCostBreakdown {
  const zero = { total: 0 } as Record<string, number | null>;
  for (const c of K8S_COST_COMPONENTS) zero[c.key] = c.nullable ? null : 0;
  return zero as K8sCostBreakdown;
}

/** The sum of the additive components in list order (null counts 0); rounding is the caller's. */
export function breakdownTotal(breakdown: Omit<K8sCostBreakdown, 'total'>): number {
  let total = 0;
  for (const c of ADDITIVE_K8S_COST_COMPONENTS) total += breakdown[c.key] ?? 0;
  return total;
}

/** A breakdown as `k8s_cost_breakdown` columns (`cpu_cost`, ..., `total_cost`). */
export function breakdownToColumns(breakdown: K8sCostBreakdown): Record<string, number | null> {
  const columns: Record<string, number | null> = {};
  for (const c of K8S_COST_COLUMNS) columns[c.column] = breakdown[c.key];
  return columns;
}

/** A breakdown from a row, reading each value with `read` (a column name or alias). */
export function breakdownFromRow(
  read: (spec: (typeof K8S_COST_COLUMNS)[number]) => number | null,
): K8sCostBreakdown {
  const breakdown = {} as Record<string, number | null>;
  for (const c of K8S_COST_COLUMNS) breakdown[c.key] = read(c);
  return breakdown as K8sCostBreakdown;
}
