import { randomBytes } from 'node:crypto';
import type {
  FocusCommitCounts,
  FocusImportStore,
  FocusStaging,
  StagedCharge,
  StagedResource,
} from '../domain/ports';
import { ORG_ACCOUNTS, ownedBy } from './tenant-scope.sql';
import type { Db, Params } from './db';
import { resourceColumns } from './resource.columns';

/** Staging tables are named `focus_stage_<random hex>_<part>`; the prefix finds abandoned ones. */
const STAGE_PREFIX = 'focus_stage_';
const INSERT_BATCH = 50_000;

// Money is compared and summed as Decimal128 rounded to 1e-10, like every reader does, so a
// re-import whose floats differ in the 17th digit writes nothing, and the -1 row of a
// correction carries exactly the value readers counted.
const dec = (column: string) => `round(toDecimal128(${column}, 12), 10)`;

const CHARGE_KEY = `cloud_account_id, resource_id, date, billing_account_ref, billing_period_start, charge_category`;
const STAGED_CHARGE_COLUMNS = [
  'cloud_account_id',
  'resource_id',
  'date',
  'billing_account_ref',
  'billing_period_start',
  'charge_category',
  'cost',
];

/**
 * FOCUS import staging and commit in ClickHouse. Each import gets its own staging tables
 * (MergeTree on disk, so the engine's memory stays flat), dropped when the import ends; tables
 * an interrupted process left behind are dropped by the next import after a day.
 */
export class ClickHouseFocusImportStore implements FocusImportStore {
  constructor(private readonly db: Db) {}

  async openStaging(): Promise<FocusStaging> {
    await this.dropAbandoned();
    const staging = new ClickHouseFocusStaging(this.db, `${STAGE_PREFIX}${randomBytes(8).toString('hex')}`);
    await staging.create();
    return staging;
  }

  private async dropAbandoned(): Promise<void> {
    const rows = await this.db.query<{ name: string }>(
      `SELECT name FROM system.tables
       WHERE database = {db:String} AND startsWith(name, {prefix:String})
         AND metadata_modification_time < now() - INTERVAL 1 DAY`,
      { prefix: STAGE_PREFIX },
    );
    for (const { name } of rows) {
      await this.db.command('DROP TABLE IF EXISTS {db:Identifier}.{t:Identifier}', { t: name });
    }
  }
}

class ClickHouseFocusStaging implements FocusStaging {
  private readonly t: Record<
    'charges' | 'resources' | 'scope' | 'staged' | 'stored' | 'expenseDiff' | 'chargeDiff',
    string
  >;

  constructor(
    private readonly db: Db,
    name: string,
  ) {
    this.t = {
      charges: `${name}_charges`,
      resources: `${name}_resources`,
      scope: `${name}_scope`,
      staged: `${name}_staged`,
      stored: `${name}_stored`,
      expenseDiff: `${name}_expense_diff`,
      chargeDiff: `${name}_charge_diff`,
    };
  }

  private params(extra: Params = {}): Params {
    return {
      charges: this.t.charges,
      resources: this.t.resources,
      scope: this.t.scope,
      staged: this.t.staged,
      stored: this.t.stored,
      expense_diff: this.t.expenseDiff,
      charge_diff: this.t.chargeDiff,
      ...extra,
    };
  }

  async create(): Promise<void> {
    const chargeColumns = `cloud_account_id String, resource_id String, date DateTime('UTC'),
      billing_account_ref String, billing_period_start Date, charge_category LowCardinality(String)`;
    const statements = [
      `CREATE TABLE {db:Identifier}.{charges:Identifier} (${chargeColumns}, cost Float64)
       ENGINE = MergeTree ORDER BY (cloud_account_id, resource_id, date)`,
      `CREATE TABLE {db:Identifier}.{resources:Identifier}
       (id String, organization_id String, cloud_account_id String, cloud_resource_id String, name String,
        resource_type String, region String, service String, service_category String,
        tags Map(String, String), first_seen DateTime('UTC'), last_seen DateTime('UTC'))
       ENGINE = MergeTree ORDER BY id`,
      `CREATE TABLE {db:Identifier}.{scope:Identifier} (billing_account_ref String, billing_period_start Date)
       ENGINE = MergeTree ORDER BY tuple()`,
      `CREATE TABLE {db:Identifier}.{staged:Identifier} (${chargeColumns}, cost_dec Decimal128(10))
       ENGINE = MergeTree ORDER BY (cloud_account_id, resource_id, date)`,
      `CREATE TABLE {db:Identifier}.{stored:Identifier} (${chargeColumns}, cost_dec Decimal128(10))
       ENGINE = MergeTree ORDER BY (cloud_account_id, resource_id, date)`,
      `CREATE TABLE {db:Identifier}.{expense_diff:Identifier}
       (cloud_account_id String, resource_id String, date DateTime('UTC'), cost Float64, sign Int8)
       ENGINE = MergeTree ORDER BY tuple()`,
      `CREATE TABLE {db:Identifier}.{charge_diff:Identifier} (${chargeColumns}, cost Float64, sign Int8)
       ENGINE = MergeTree ORDER BY tuple()`,
    ];
    try {
      for (const sql of statements) await this.db.command(sql, this.params());
    } catch (error) {
      await this.dispose().catch(() => undefined);
      throw error;
    }
  }

  async addCharges(rows: readonly StagedCharge[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      await this.db.insertCompact(
        this.t.charges,
        STAGED_CHARGE_COLUMNS,
        rows
          .slice(i, i + INSERT_BATCH)
          .map((c) => [
            c.cloudAccountId,
            c.resourceId,
            `${c.date} 00:00:00`,
            c.billingAccountRef,
            c.billingPeriodStart,
            c.chargeCategory,
            c.cost,
          ]),
      );
    }
  }

  async addResources(rows: readonly StagedResource[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      await this.db.insert(
        this.t.resources,
        rows
          .slice(i, i + INSERT_BATCH)
          .map((r) => ({ ...resourceColumns(r), service_category: r.serviceCategory })),
      );
    }
  }

  async changedResources(organizationId: string): Promise<{ id: string; known: boolean }[]> {
    const rows = await this.db.query<{ id: string; known: number }>(
      `SELECT s.id AS id, e.id != '' AS known
       FROM {db:Identifier}.{resources:Identifier} AS s
       LEFT JOIN (
         SELECT id, cloud_account_id, cloud_resource_id, name, resource_type, region, service,
                service_category, tags, first_seen, last_seen
         FROM {db:Identifier}.resources FINAL
         WHERE ${ownedBy()} AND id IN (SELECT id FROM {db:Identifier}.{resources:Identifier})
       ) AS e ON e.id = s.id
       WHERE e.id = '' OR e.cloud_account_id != s.cloud_account_id OR e.cloud_resource_id != s.cloud_resource_id
          OR e.name != s.name OR e.resource_type != s.resource_type OR e.region != s.region
          OR e.service != s.service OR e.service_category != s.service_category
          OR mapSort(e.tags) != mapSort(s.tags)
          OR s.first_seen < e.first_seen OR s.last_seen > e.last_seen
       SETTINGS join_use_nulls = 0`,
      this.params({ org: organizationId }),
    );
    return rows.map((row) => ({ id: row.id, known: Number(row.known) === 1 }));
  }

  /**
   * Writes the import. Both differences are computed (one INSERT ... SELECT each, aggregated in
   * ClickHouse) into staging before anything live is written, then resources, expenses and
   * charges are copied in. Each difference compares the wanted state with the stored one, so a
   * commit cut short anywhere is completed by importing the same files again.
   */
  async commit(input: {
    organizationId: string;
    billingPeriods: readonly { billingAccount: string; start: string }[];
    cancelMissing: boolean;
    before?: Promise<void>;
  }): Promise<FocusCommitCounts> {
    await this.db.insert(
      this.t.scope,
      input.billingPeriods.map((p) => ({
        billing_account_ref: p.billingAccount,
        billing_period_start: p.start,
      })),
    );
    const params = this.params({ org: input.organizationId, cancel_missing: input.cancelMissing ? 1 : 0 });
    const orgAccounts = ORG_ACCOUNTS;
    const inScope = `(billing_account_ref, billing_period_start) IN
      (SELECT billing_account_ref, billing_period_start FROM {db:Identifier}.{scope:Identifier})`;

    // The import's charges, one row per key, and the stored charges of the billing periods it
    // covers (which it replaces), each aggregated once.
    await this.db.command(
      `INSERT INTO {db:Identifier}.{staged:Identifier}
       SELECT ${CHARGE_KEY}, sum(${dec('cost')}) FROM {db:Identifier}.{charges:Identifier} GROUP BY ${CHARGE_KEY}`,
      params,
    );
    await this.db.command(
      `INSERT INTO {db:Identifier}.{stored:Identifier}
       SELECT ${CHARGE_KEY}, sum(${dec('cost')} * sign) FROM {db:Identifier}.expense_charges
       WHERE cloud_account_id IN (${orgAccounts}) AND ${inScope}
       GROUP BY ${CHARGE_KEY}
       HAVING sum(sign) > 0`,
      params,
    );

    // Per resource-day: the wanted total is every stored charge the import does not replace
    // (other billing periods; with refused rows, also this period's charges the file lacks)
    // plus the staged ones; the stored total is what expenses holds.
    await this.db.command(
      `INSERT INTO {db:Identifier}.{expense_diff:Identifier} (cloud_account_id, resource_id, date, cost, sign)
       WITH
       touched AS (
         SELECT cloud_account_id, resource_id, date FROM {db:Identifier}.{staged:Identifier}
         UNION DISTINCT
         SELECT cloud_account_id, resource_id, date FROM {db:Identifier}.{stored:Identifier}
       ),
       kept AS (
         SELECT cloud_account_id, resource_id, date, cost_dec FROM (
           SELECT ${CHARGE_KEY}, sum(${dec('cost')} * sign) AS cost_dec
           FROM {db:Identifier}.expense_charges
           WHERE cloud_account_id IN (${orgAccounts})
             AND (cloud_account_id, resource_id, date) IN (SELECT * FROM touched)
           GROUP BY ${CHARGE_KEY}
           HAVING sum(sign) > 0
         )
         WHERE (${CHARGE_KEY}) NOT IN (SELECT ${CHARGE_KEY} FROM {db:Identifier}.{staged:Identifier})
           AND NOT ({cancel_missing:UInt8} = 1 AND ${inScope})
       ),
       wanted AS (
         SELECT cloud_account_id, resource_id, date, sum(cost_dec) AS cost_dec, 1 AS present
         FROM (SELECT cloud_account_id, resource_id, date, cost_dec FROM kept
               UNION ALL
               SELECT cloud_account_id, resource_id, date, cost_dec FROM {db:Identifier}.{staged:Identifier})
         GROUP BY cloud_account_id, resource_id, date
       ),
       stored AS (
         SELECT cloud_account_id, resource_id, date, sum(${dec('cost')} * sign) AS cost_dec, 1 AS present
         FROM {db:Identifier}.expenses
         WHERE cloud_account_id IN (${orgAccounts})
           AND (cloud_account_id, resource_id, date) IN (SELECT * FROM touched)
         GROUP BY cloud_account_id, resource_id, date
         HAVING sum(sign) > 0
       )
       SELECT cloud_account_id, resource_id, date, change.1 AS cost, change.2 AS sign
       FROM (
         SELECT cloud_account_id, resource_id, date,
                w.cost_dec AS new_dec, w.present AS new_present, s.cost_dec AS old_dec, s.present AS old_present
         FROM wanted AS w FULL OUTER JOIN stored AS s USING (cloud_account_id, resource_id, date)
       )
       ARRAY JOIN ${changes()} AS change
       SETTINGS join_use_nulls = 0`,
      params,
    );

    // Per charge: staged against stored charges of the same billing periods.
    await this.db.command(
      `INSERT INTO {db:Identifier}.{charge_diff:Identifier} (${CHARGE_KEY}, cost, sign)
       SELECT ${CHARGE_KEY}, change.1 AS cost, change.2 AS sign
       FROM (
         SELECT ${CHARGE_KEY},
                n.cost_dec AS new_dec, n.present AS new_present, o.cost_dec AS old_dec, o.present AS old_present
         FROM (SELECT *, 1 AS present FROM {db:Identifier}.{staged:Identifier}) AS n
         FULL OUTER JOIN (
           SELECT *, 1 AS present FROM {db:Identifier}.{stored:Identifier}
           WHERE {cancel_missing:UInt8} = 1
              OR (${CHARGE_KEY}) IN (SELECT ${CHARGE_KEY} FROM {db:Identifier}.{staged:Identifier})
         ) AS o USING (${CHARGE_KEY})
       )
       ARRAY JOIN ${changes()} AS change
       SETTINGS join_use_nulls = 0`,
      params,
    );

    const [counts] = await this.db.query<{
      resource_days: string;
      expense_added: string;
      expense_cancelled: string;
      charge_added: string;
      charge_cancelled: string;
    }>(
      `SELECT
         (SELECT uniqExact(cloud_account_id, resource_id, date) FROM {db:Identifier}.{staged:Identifier}) AS resource_days,
         (SELECT countIf(sign = 1) FROM {db:Identifier}.{expense_diff:Identifier}) AS expense_added,
         (SELECT countIf(sign = -1) FROM {db:Identifier}.{expense_diff:Identifier}) AS expense_cancelled,
         (SELECT countIf(sign = 1) FROM {db:Identifier}.{charge_diff:Identifier}) AS charge_added,
         (SELECT countIf(sign = -1) FROM {db:Identifier}.{charge_diff:Identifier}) AS charge_cancelled`,
      params,
    );

    await input.before;
    // Resources first, so no expense row ever points at a resource readers cannot see. first/last
    // seen widen what is stored; the owner someone set is kept.
    await this.db.command(
      `INSERT INTO {db:Identifier}.resources
         (id, organization_id, cloud_account_id, cloud_resource_id, name, resource_type, region, service,
          service_category, owner, tags, first_seen, last_seen, updated_at)
       SELECT s.id, s.organization_id, s.cloud_account_id, s.cloud_resource_id, s.name, s.resource_type,
              s.region, s.service, s.service_category, e.owner, s.tags,
              if(e.id = '', s.first_seen, least(s.first_seen, e.first_seen)),
              if(e.id = '', s.last_seen, greatest(s.last_seen, e.last_seen)),
              now64(3, 'UTC')
       FROM {db:Identifier}.{resources:Identifier} AS s
       LEFT JOIN (
         SELECT id, owner, first_seen, last_seen FROM {db:Identifier}.resources FINAL
         WHERE ${ownedBy()}
           AND id IN (SELECT id FROM {db:Identifier}.{resources:Identifier})
       ) AS e ON e.id = s.id
       SETTINGS join_use_nulls = 0`,
      params,
    );
    await this.db.command(
      `INSERT INTO {db:Identifier}.expenses (cloud_account_id, resource_id, date, cost, sign)
       SELECT cloud_account_id, resource_id, date, cost, sign FROM {db:Identifier}.{expense_diff:Identifier}`,
      params,
    );
    await this.db.command(
      `INSERT INTO {db:Identifier}.expense_charges (${CHARGE_KEY}, cost, sign)
       SELECT ${CHARGE_KEY}, cost, sign FROM {db:Identifier}.{charge_diff:Identifier}`,
      params,
    );
    return {
      resourceDays: Number(counts?.resource_days ?? 0),
      expenseRowsAdded: Number(counts?.expense_added ?? 0),
      expenseRowsCancelled: Number(counts?.expense_cancelled ?? 0),
      chargeRowsAdded: Number(counts?.charge_added ?? 0),
      chargeRowsCancelled: Number(counts?.charge_cancelled ?? 0),
    };
  }

  async dispose(): Promise<void> {
    for (const table of Object.values(this.t)) {
      await this.db.command('DROP TABLE IF EXISTS {db:Identifier}.{t:Identifier}', { t: table });
    }
  }
}

/**
 * The rows one difference writes: the stored value with sign -1 when it goes or changes, the
 * wanted value with sign +1 when it is new or changed (a day that vanished gets only its -1).
 */
function changes(): string {
  return `arrayConcat(
    if(old_present = 1 AND (new_present = 0 OR old_dec != new_dec), [(toFloat64(old_dec), toInt8(-1))], []),
    if(new_present = 1 AND (old_present = 0 OR old_dec != new_dec), [(toFloat64(new_dec), toInt8(1))], []))`;
}
