import {
  ALLOCATION_FIGURES,
  IDLE,
  UNALLOCATED,
  UNMOUNTED,
  zeroFigures,
  type AllocationCorrection,
  type AllocationFigures,
  type AllocationRow,
} from '../domain/allocation';
import type {
  AllocationDayRows,
  AllocationDimension,
  AllocationGroup,
  AllocationQuery,
  AllocationStore,
} from '../domain/ports';
import { toClickHouseTime } from '../domain/days';
import type { Db, Params } from './db';

/** The key of a row under each dimension; buckets are their own key whatever the dimension. */
const KEYS: Record<AllocationDimension, string> = {
  CLUSTER: 'a.cloud_account_id',
  NODE: `if(a.node = '', '${UNALLOCATED}', a.node)`,
  NAMESPACE: 'a.namespace',
  CONTROLLER_KIND: `if(a.controller_kind = '', '${UNALLOCATED}', a.controller_kind)`,
  CONTROLLER: `if(a.controller = '', '${UNALLOCATED}', concat(a.namespace, '/', a.controller_kind, '/', a.controller))`,
  POD: `if(a.pod = '', '${UNALLOCATED}', concat(a.namespace, '/', a.pod))`,
  CONTAINER: `if(a.container = '', '${UNALLOCATED}', concat(a.namespace, '/', a.pod, '/', a.container))`,
  LABEL: `if(mapContains(a.labels, {labelKey:String}), a.labels[{labelKey:String}], '${UNALLOCATED}')`,
};

/** The short name of a key: the controller's, pod's or container's own name. */
const NAMES: Partial<Record<AllocationDimension, string>> = {
  CONTROLLER: 'a.controller',
  POD: 'a.pod',
  CONTAINER: 'a.container',
};

/** The bill's correction of a row's figure, from the maps `nf` / `vf` (1 where absent). */
const factorOf = (nf: string, vf: string) => ({
  node: ` * if(mapContains(${nf}, a.node), ${nf}[a.node], 1)`,
  volume: ` * if(mapContains(${vf}, a.volume), ${vf}[a.volume], 1)`,
});

/** Each figure summed over a group of base rows, bill-corrected by the maps `nf` / `vf`. */
function correctedSums(nf: string, vf: string): string {
  const factors = factorOf(nf, vf);
  return ALLOCATION_FIGURES.map(
    ({ key, column, factor }) => `sum(a.${column}${factor ? factors[factor] : ''}) AS ${key}`,
  ).join(',\n              ');
}

/** Each figure summed over rows already corrected (the namespace roll-up). */
const PLAIN_SUMS = ALLOCATION_FIGURES.map(({ key, column }) => `sum(a.${column}) AS ${key}`).join(
  ',\n              ',
);

/** Columns of the figures, in list order (the roll-up's insert). */
const FIGURE_COLUMNS = ALLOCATION_FIGURES.map(({ column }) => column).join(', ');

/** Dimensions the namespace roll-up can answer; any other dimension or filter reads the rows. */
const ROLLED_UP = new Set<AllocationDimension>(['NAMESPACE', 'CLUSTER']);

/** ClickHouse adapter of {@link AllocationStore}: tables `k8s_allocations` and `k8s_allocation_runs`. */
export class ClickHouseAllocationStore implements AllocationStore {
  private lastVersion = 0;

  constructor(private readonly db: Db) {}

  async replaceDay(
    organizationId: string,
    clusterId: string,
    day: string,
    rows: readonly AllocationRow[],
    correction: AllocationCorrection,
  ): Promise<void> {
    await this.replaceDays(organizationId, [{ clusterId, day, rows, correction }]);
  }

  async replaceDays(organizationId: string, days: readonly AllocationDayRows[]): Promise<void> {
    if (!days.length) return;
    const versions = days.map(() => this.nextMicros());
    const first = versions[0] as number;
    const all = days.flatMap(({ clusterId, day, rows }, i) => {
      const base = {
        organization_id: organizationId,
        cloud_account_id: clusterId,
        date: day,
        version: versions[i],
      };
      return rows.map((row) => ({ ...base, ...columnsOf(row) }));
    });
    for (let i = 0; i < all.length; i += 50_000)
      await this.db.insert('k8s_allocations', all.slice(i, i + 50_000));
    // Each day's namespaces under a new generation, then the run rows that make the new
    // versions and generations live: readers never see a mix.
    const generations = days.map(() => microsTime(this.nextMicros()));
    for (const [i, { clusterId, day, correction }] of days.entries())
      await this.rollUp(
        organizationId,
        clusterId,
        day,
        versions[i] as number,
        generations[i] as string,
        correction,
      );
    await this.db.insert(
      'k8s_allocation_runs',
      days.map(({ clusterId, day, correction }, i) =>
        this.runRow(
          organizationId,
          clusterId,
          day,
          versions[i] as number,
          generations[i] as string,
          correction,
        ),
      ),
    );
    // Older versions and generations are never read again: drop them.
    const keys = days.map((d) => `${d.clusterId}|${d.day}`);
    await this.db.command(
      `DELETE FROM {db:Identifier}.k8s_allocations
       WHERE organization_id = {org:String} AND version < {first:UInt64}
         AND concat(toString(cloud_account_id), '|', toString(date)) IN {keys:Array(String)}`,
      { org: organizationId, first, keys },
    );
    await this.dropOlderGenerations(organizationId, keys, generations[0] as string);
  }

  /**
   * Writes a cluster-day's namespaces (version `version` of its rows, corrected by `correction`)
   * under `generation`.
   */
  private async rollUp(
    organizationId: string,
    clusterId: string,
    day: string,
    version: number,
    generation: string,
    correction: AllocationCorrection,
  ): Promise<void> {
    const nf = '{nf:Map(String, Float64)}';
    const vf = '{vf:Map(String, Float64)}';
    await this.db.command(
      `INSERT INTO {db:Identifier}.k8s_allocation_namespaces
         (organization_id, cloud_account_id, date, generation, bucket, namespace, ${FIGURE_COLUMNS})
       SELECT organization_id, cloud_account_id, date, {generation:DateTime64(6, 'UTC')}, bucket, namespace,
              ${correctedSums(nf, vf)}
       FROM {db:Identifier}.k8s_allocations AS a
       WHERE organization_id = {org:String} AND cloud_account_id = {cluster:String} AND date = {day:Date}
         AND version = {version:UInt64}
       GROUP BY organization_id, cloud_account_id, date, bucket, namespace`,
      {
        org: organizationId,
        cluster: clusterId,
        day,
        version,
        generation,
        nf: correction.nodeFactors,
        vf: correction.volumeFactors,
      },
    );
  }

  /** Deletes the namespaces of these cluster-days (`cluster|day`) written before `generation`. */
  private async dropOlderGenerations(
    organizationId: string,
    keys: string[],
    generation: string,
  ): Promise<void> {
    await this.db.command(
      `DELETE FROM {db:Identifier}.k8s_allocation_namespaces
       WHERE organization_id = {org:String} AND generation < {generation:DateTime64(6, 'UTC')}
         AND concat(toString(cloud_account_id), '|', toString(date)) IN {keys:Array(String)}`,
      { org: organizationId, generation, keys },
    );
  }

  /** Microseconds since the epoch, strictly increasing within the process. */
  private nextMicros(): number {
    this.lastVersion = Math.max(Date.now() * 1000, this.lastVersion + 1);
    return this.lastVersion;
  }

  async correct(
    organizationId: string,
    clusterId: string,
    day: string,
    correction: AllocationCorrection,
  ): Promise<void> {
    const [live] = await this.db.query<{
      version: string;
      nf: Record<string, number>;
      vf: Record<string, number>;
      ei: number;
      eu: number;
    }>(
      `SELECT argMax(version, updated_at) AS version, argMax(node_factors, updated_at) AS nf,
              argMax(volume_factors, updated_at) AS vf, argMax(extra_idle, updated_at) AS ei,
              argMax(extra_unmounted, updated_at) AS eu
       FROM {db:Identifier}.k8s_allocation_runs
       WHERE organization_id = {org:String} AND cloud_account_id = {cluster:String} AND date = {day:Date}
       HAVING count() > 0`,
      { org: organizationId, cluster: clusterId, day },
    );
    if (!live) return;
    const same =
      sameMap(live.nf, correction.nodeFactors) &&
      sameMap(live.vf, correction.volumeFactors) &&
      live.ei === correction.extraIdle &&
      live.eu === correction.extraUnmounted;
    if (!same) await this.writeRun(organizationId, clusterId, day, Number(live.version), correction);
  }

  async groups(query: AllocationQuery): Promise<AllocationGroup[]> {
    const params: Params = {
      org: query.organizationId,
      from: query.from,
      to: query.to,
      ids: query.clusterIds ?? [],
      labelKey: query.labelKey ?? '',
    };
    const runs = this.runsSql(query);
    // By namespace or cluster (filtered by namespaces at most), the corrected namespace sums of
    // the live generation; anything else reads the rows of the live version and corrects them.
    const rolledUp = ROLLED_UP.has(query.by) && !rowFilter(query);
    const keySql = `if(a.bucket != '', a.bucket, ${KEYS[query.by]})`;
    const nameSql = NAMES[query.by]
      ? `if(a.bucket != '' OR ${NAMES[query.by]} = '', ${keySql}, ${NAMES[query.by]})`
      : keySql;
    const matches = this.filterSql(query, params);
    const date = query.daily ? 'toString(a.date)' : "CAST(NULL, 'Nullable(String)')";
    const source = rolledUp
      ? `{db:Identifier}.k8s_allocation_namespaces AS a
         INNER JOIN runs AS r ON a.cloud_account_id = r.cloud_account_id AND a.date = r.date AND a.generation = r.generation`
      : `{db:Identifier}.k8s_allocations AS a
         INNER JOIN runs AS r ON a.cloud_account_id = r.cloud_account_id AND a.date = r.date AND a.version = r.version`;
    const groups = await this.db.query<RawGroup>(
      `WITH runs AS (${runs})
       SELECT toString(a.cloud_account_id) AS clusterId, ${date} AS date, ${keySql} AS key,
              any(${nameSql}) AS name, ${matches} AS matches,
              ${rolledUp ? PLAIN_SUMS : correctedSums('r.nf', 'r.vf')}
       FROM ${source}
       WHERE a.organization_id = {org:String} AND a.date >= {from:Date} AND a.date <= {to:Date}
         ${query.clusterIds ? 'AND a.cloud_account_id IN {ids:Array(String)}' : ''}
       GROUP BY clusterId, date, key, matches`,
      params,
    );
    // Bills of nodes and volumes that had no metric price: idle and unmounted of their cluster.
    const extras = await this.db.query<{
      clusterId: string;
      date: string | null;
      idle: number;
      unmounted: number;
    }>(
      `WITH runs AS (${runs})
       SELECT toString(cloud_account_id) AS clusterId, ${query.daily ? 'toString(date)' : "CAST(NULL, 'Nullable(String)')"} AS date,
              sum(extra_idle) AS idle, sum(extra_unmounted) AS unmounted
       FROM runs WHERE extra_idle != 0 OR extra_unmounted != 0 GROUP BY clusterId, date`,
      params,
    );
    const result = groups.map(toGroup);
    const unfiltered = !hasFilter(query);
    for (const extra of extras) {
      if (extra.idle)
        result.push({
          ...zeroGroup(extra.clusterId, extra.date, IDLE, unfiltered),
          idleOther: Number(extra.idle),
        });
      if (extra.unmounted)
        result.push({
          ...zeroGroup(extra.clusterId, extra.date, UNMOUNTED, unfiltered),
          storage: Number(extra.unmounted),
        });
    }
    return result;
  }

  /** The live version and correction of each of the organization's cluster-days in the range. */
  private runsSql(query: AllocationQuery): string {
    return `SELECT cloud_account_id, date, argMax(version, updated_at) AS version, max(updated_at) AS generation,
                   argMax(node_factors, updated_at) AS nf, argMax(volume_factors, updated_at) AS vf,
                   argMax(extra_idle, updated_at) AS extra_idle, argMax(extra_unmounted, updated_at) AS extra_unmounted
            FROM {db:Identifier}.k8s_allocation_runs
            WHERE organization_id = {org:String} AND date >= {from:Date} AND date <= {to:Date}
              ${query.clusterIds ? 'AND cloud_account_id IN {ids:Array(String)}' : ''}
            GROUP BY cloud_account_id, date`;
  }

  /** 1 where a row passes the filter (buckets never do when there is one), as SQL. */
  private filterSql(query: AllocationQuery, params: Params): string {
    const filter = query.filter;
    if (!hasFilter(query) || !filter) return '1';
    const parts = [`a.bucket = ''`];
    if (filter.namespaces?.length) {
      params.namespaces = filter.namespaces;
      parts.push('a.namespace IN {namespaces:Array(String)}');
    }
    if (filter.controllers?.length) {
      params.controllers = filter.controllers;
      parts.push(
        "concat(a.namespace, '/', a.controller_kind, '/', a.controller) IN {controllers:Array(String)}",
      );
    }
    if (filter.nodes?.length) {
      params.nodes = filter.nodes;
      parts.push('a.node IN {nodes:Array(String)}');
    }
    (filter.labels ?? []).forEach(([k, v], i) => {
      params[`lk${i}`] = k;
      params[`lv${i}`] = v;
      parts.push(`a.labels[{lk${i}:String}] = {lv${i}:String} AND mapContains(a.labels, {lk${i}:String})`);
    });
    return `toUInt8(${parts.join(' AND ')})`;
  }

  private async writeRun(
    organizationId: string,
    clusterId: string,
    day: string,
    version: number,
    correction: AllocationCorrection,
  ): Promise<void> {
    const generation = microsTime(this.nextMicros());
    await this.rollUp(organizationId, clusterId, day, version, generation, correction);
    await this.db.insert('k8s_allocation_runs', [
      this.runRow(organizationId, clusterId, day, version, generation, correction),
    ]);
    await this.dropOlderGenerations(organizationId, [`${clusterId}|${day}`], generation);
  }

  private runRow(
    organizationId: string,
    clusterId: string,
    day: string,
    version: number,
    generation: string,
    correction: AllocationCorrection,
  ): Record<string, unknown> {
    return {
      organization_id: organizationId,
      cloud_account_id: clusterId,
      date: day,
      version,
      node_factors: correction.nodeFactors,
      volume_factors: correction.volumeFactors,
      extra_idle: correction.extraIdle,
      extra_unmounted: correction.extraUnmounted,
      updated_at: generation,
    };
  }
}

/** `YYYY-MM-DD hh:mm:ss.ffffff` (UTC) of microseconds since the epoch. */
function microsTime(micros: number): string {
  const ms = Math.floor(micros / 1000);
  return `${toClickHouseTime(new Date(ms))}${String(micros % 1000).padStart(3, '0')}`;
}

type RawGroup = Omit<AllocationGroup, 'matches' | keyof AllocationFigures> & { matches: number } & Record<
    keyof AllocationFigures,
    string | number | null
  >;

/** A group as read: figures arrive as JSON numbers or strings, nullable ones as null. */
function toGroup(raw: RawGroup): AllocationGroup {
  const group: AllocationGroup = {
    clusterId: raw.clusterId,
    date: raw.date,
    key: raw.key,
    name: raw.name,
    matches: Number(raw.matches) === 1,
    ...zeroFigures(),
  };
  const figures = group as unknown as Record<string, number | null>;
  for (const { key } of ALLOCATION_FIGURES) {
    const value = raw[key];
    figures[key] = value === null || value === undefined ? null : Number(value);
  }
  return group;
}

function zeroGroup(clusterId: string, date: string | null, key: string, matches: boolean): AllocationGroup {
  return { clusterId, date, key, name: key, matches, ...zeroFigures() };
}

/** Filters only the rows can answer (controllers, nodes, labels). */
function rowFilter(query: AllocationQuery): boolean {
  const f = query.filter;
  return Boolean(f && (f.controllers?.length || f.nodes?.length || f.labels?.length));
}

function hasFilter(query: AllocationQuery): boolean {
  const f = query.filter;
  return Boolean(f && (f.namespaces?.length || f.controllers?.length || f.nodes?.length || f.labels?.length));
}

function sameMap(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/** The columns of a row (the cluster, day and version are added by the writer). */
function columnsOf(row: AllocationRow): Record<string, unknown> {
  const columns: Record<string, unknown> = {
    bucket: row.bucket,
    namespace: row.namespace,
    controller_kind: row.controllerKind,
    controller: row.controller,
    pod: row.pod,
    container: row.container,
    node: row.node,
    volume: row.volume,
    labels: row.labels,
  };
  for (const { key, column } of ALLOCATION_FIGURES) columns[column] = row[key];
  return columns;
}
