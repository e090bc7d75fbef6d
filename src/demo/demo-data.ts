import type { CloudAccount, ExpenseFilter, FocusImportRecord } from '../domain/model';
import type { BudgetPeriod, BudgetThreshold } from '../domain/budget';
import type {
  AllocationDayRows,
  ClusterResourceLink,
  ExpenseRecord,
  K8sBreakdownRecord,
  ResourceRecord,
  StoredEstimate,
} from '../domain/ports';
import type { BilledLine, NodeEstimate } from '../domain/reconciliation';
import { allocationCorrection, reconcileDay } from '../k8s-cost/reconcile';
import { demoAllocation } from './demo-allocation';
import { addDays, eachDay, parseDay } from '../domain/days';
import { breakdownTotal } from '../domain/k8s-cost-components';
import { badInput } from '../errors';

// A pure, deterministic demo organization: no I/O, no clock, no Math.random. Every random draw
// is mulberry32 seeded with a hash of (fixed seed, what is drawn, the ISO day), so the same day
// of the same resource always gets the same noise, whatever range is asked for.

export interface DemoData {
  organization: { id: string; name: string };
  accounts: CloudAccount[];
  resources: ResourceRecord[];
  /** One row per resource per day from its firstSeen to its lastSeen; sign always 1. */
  expenses: ExpenseRecord[];
  /** One row per cluster per day, reconciled with the bills; sign 1, provisional false. */
  k8sBreakdowns: K8sBreakdownRecord[];
  /** Each cluster-day at metric prices, node by node (what a run would have stored). */
  estimates: StoredEstimate[];
  /** Each cluster-day's workload allocation, consistent with its breakdown. */
  allocations: AllocationDayRows[];
  /** The billed VMs that are nodes of a cluster. */
  links: ClusterResourceLink[];
  heartbeats: { cloudAccountId: string; at: Date }[];
  /**
   * The FOCUS imports that would have brought the cloud rows: one per cloud account and calendar
   * month, counting exactly the rows and dollars of `expenses` they cover, plus one refused file.
   */
  imports: FocusImportRecord[];
  /**
   * Budgets on a cluster, a provider, a tag and an owner, their amounts set from the last 30
   * days so that they stand differently: one comfortable, the others at risk or over.
   */
  budgets: DemoBudget[];
}

/** A budget as the demo creates it (the fields of BudgetInput). */
export interface DemoBudget {
  name: string;
  amount: number;
  period: BudgetPeriod;
  filter: ExpenseFilter;
  thresholds: BudgetThreshold[];
}

export const DEMO_ORGANIZATION = { id: '5e1d7c3a-9b2f-4d8e-a6c4-0f3b2a1d9e7c', name: 'Demo Corp' } as const;

const SEED = 'democorp-v1';
/** The demo's one anomaly: BigQuery's events_raw this many days before the last day. */
export const DEMO_SPIKE_DAYS_BEFORE_END = 9;
const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 90;
const MAX_DAYS = 3660;

// ---------------------------------------------------------------- deterministic randomness

/** 32-bit string hash (murmur3-style mixing of UTF-16 code units). */
function hash32(text: string, seed = 0x9e3779b9): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform draw in [0, 1) fixed by its parts. */
function draw(...parts: (string | number)[]): number {
  return mulberry32(hash32(`${SEED}|${parts.join('|')}`))();
}

function hex(text: string, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++)
    out += hash32(`${SEED}|${text}`, 0x1234567 + i * 0x9e3779b1)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, length);
}

/** A UUID v4-shaped id derived from a text, stable across runs. */
function uuidFrom(text: string): string {
  const h = hex(text, 32);
  const variant = '89ab'[parseInt(h.charAt(16), 16) % 4] as string;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

// ---------------------------------------------------------------- accounts

type AccountKey = 'awsProd' | 'awsStaging' | 'azure' | 'gcp' | 'prodEks' | 'mlGke';

interface AccountSpec {
  id: string;
  name: string;
  type: CloudAccount['type'];
  accountRef: string;
  k8sProvider: string;
  region: string;
  owner: string;
  version: string;
}

const AWS_PROD_REF = '482913576024';
const AWS_STAGING_REF = '731045862219';
const AZURE_SUBSCRIPTION = '3f2b8c1d-6e4a-4b9f-8d27-5c1e0a9b7f34';
const GCP_PROJECT = 'democorp-ml-prod';

const ACCOUNTS: Record<AccountKey, AccountSpec> = {
  awsProd: {
    id: 'b7e4a1c2-3d5f-4a6b-8c9d-0e1f2a3b4c51',
    name: 'aws-production',
    type: 'AWS',
    accountRef: AWS_PROD_REF,
    k8sProvider: '',
    region: '',
    owner: '',
    version: '',
  },
  awsStaging: {
    id: 'c2d9f3e1-7a4b-4c8d-9e0f-1a2b3c4d5e62',
    name: 'aws-staging',
    type: 'AWS',
    accountRef: AWS_STAGING_REF,
    k8sProvider: '',
    region: '',
    owner: '',
    version: '',
  },
  azure: {
    id: 'd4a6b8c0-1e3f-4a5b-b7c9-2d4e6f8a0b73',
    name: 'azure-analytics',
    type: 'AZURE',
    accountRef: AZURE_SUBSCRIPTION,
    k8sProvider: '',
    region: '',
    owner: '',
    version: '',
  },
  gcp: {
    id: 'e6f8a0b2-4c6d-4e8f-a0b2-3c5d7e9f1a84',
    name: 'gcp-ml',
    type: 'GCP',
    accountRef: GCP_PROJECT,
    k8sProvider: '',
    region: '',
    owner: '',
    version: '',
  },
  prodEks: {
    id: 'f1a3c5e7-9b2d-4f6a-8c1e-5a7b9c2d4e95',
    name: 'prod-eks',
    type: 'KUBERNETES',
    accountRef: '',
    k8sProvider: 'AWS',
    region: 'us-east-1',
    owner: 'platform-team',
    version: '1.29',
  },
  mlGke: {
    id: 'a9c1e3f5-2b4d-4a6c-9e8f-6b8c0d2e4fa6',
    name: 'ml-gke',
    type: 'KUBERNETES',
    accountRef: '',
    k8sProvider: 'GCP',
    region: 'europe-west4',
    owner: 'ml-team',
    version: '1.30',
  },
};

const ACCOUNT_ORDER: AccountKey[] = ['awsProd', 'awsStaging', 'azure', 'gcp', 'prodEks', 'mlGke'];

// ---------------------------------------------------------------- cloud resources

/**
 * How cost moves through the week: steady (always on), business (autoscaled down at weekends),
 * staging (scheduler stops most of it at weekends), batch (jobs mostly run on weekdays).
 */
type Profile = 'steady' | 'business' | 'staging' | 'batch';
const WEEKEND_FACTOR: Record<Profile, number> = { steady: 1, business: 0.78, staging: 0.3, batch: 0.55 };

interface ResourceSpec {
  account: AccountKey;
  cloudResourceId: string;
  name: string;
  resourceType: string;
  service: string;
  region: string;
  owner: string;
  tags: Record<string, string>;
  /** Weekday cost (US dollars) on the last day of the range; earlier days follow `growth`. */
  daily: number;
  profile: Profile;
  /** Relative noise amplitude (±). */
  noise: number;
  /** Compound growth per day (0.005 ≈ +57% over 90 days). */
  growth: number;
  /** Fraction of the range after which the resource appears / before which it disappears. */
  from?: number;
  until?: number;
  /** One day that costs this much instead (a runaway job: the demo's anomaly). */
  spike?: { daysBeforeEnd: number; cost: number };
}

const ALICE = 'alice.nguyen@democorp.example'; // platform
const BOB = 'bob.martin@democorp.example'; // backend
const CAROL = 'carol.diaz@democorp.example'; // data
const DMITRI = 'dmitri.ivanov@democorp.example'; // ml
const EVE = 'eve.okafor@democorp.example'; // qa / devops

/** The cost shape of a resource; omitted noise is 4%, omitted growth 0. */
interface Shape {
  profile: Profile;
  noise?: number;
  growth?: number;
  from?: number;
  until?: number;
  spike?: { daysBeforeEnd: number; cost: number };
}

function spec(
  account: AccountKey,
  cloudResourceId: string,
  name: string,
  kind: { resourceType: string; service: string },
  region: string,
  owner: string,
  tags: Record<string, string>,
  daily: number,
  shape: Shape,
): ResourceSpec {
  return {
    account,
    cloudResourceId,
    name,
    ...kind,
    region,
    owner,
    tags,
    daily,
    profile: shape.profile,
    noise: shape.noise ?? 0.04,
    growth: shape.growth ?? 0,
    ...(shape.from !== undefined ? { from: shape.from } : {}),
    ...(shape.until !== undefined ? { until: shape.until } : {}),
    ...(shape.spike !== undefined ? { spike: shape.spike } : {}),
  };
}

const EC2 = { resourceType: 'Instance', service: 'AmazonEC2' };
const EBS = { resourceType: 'Volume', service: 'AmazonEC2' };
const RDS = { resourceType: 'RDS Instance', service: 'AmazonRDS' };
const S3 = { resourceType: 'Bucket', service: 'AmazonS3' };
const NAT = { resourceType: 'NAT Gateway', service: 'AmazonEC2' };
const ELB = { resourceType: 'Load Balancer', service: 'AWSELB' };
const AZ_VM = { resourceType: 'Virtual Machine', service: 'Microsoft.Compute' };
const AZ_DISK = { resourceType: 'Disk', service: 'Microsoft.Compute' };
const AZ_SQL = { resourceType: 'SQL Database', service: 'Microsoft.Sql' };
const AZ_STORAGE = { resourceType: 'Storage Account', service: 'Microsoft.Storage' };
const GCE = { resourceType: 'Instance', service: 'Compute Engine' };
const BQ = { resourceType: 'Dataset', service: 'BigQuery' };
const GCS = { resourceType: 'Bucket', service: 'Cloud Storage' };

/** AWS-style id (`i-0…`, `vol-0…`, `nat-0…`): 17 hex digits derived from the name. */
const awsId = (prefix: string, name: string): string => `${prefix}-0${hex(`${prefix}/${name}`, 16)}`;
/** EC2 instance on-demand $/hour x 24. */
const perDay = (hourly: number): number => hourly * 24;
/** gp3 at $0.08 per GB-month. */
const gp3 = (gb: number): number => (gb * 0.08 * 12) / 365;

function awsResources(): ResourceSpec[] {
  const prod = (env: string, team: string, app: string): Record<string, string> => ({ env, team, app });
  const p = 'awsProd' as const;
  const s = 'awsStaging' as const;
  const ue1 = 'us-east-1';
  const rdsArn = (ref: string, region: string, name: string): string =>
    `arn:aws:rds:${region}:${ref}:db:${name}`;
  const ec2 = (
    account: AccountKey,
    name: string,
    ...rest: [string, string, Record<string, string>, number, Shape]
  ) => spec(account, awsId('i', name), name, EC2, ...rest);
  const vol = (
    account: AccountKey,
    name: string,
    ...rest: [string, string, Record<string, string>, number, Shape]
  ) => spec(account, awsId('vol', name), name, EBS, ...rest);
  const bucket = (
    account: AccountKey,
    name: string,
    ...rest: [string, string, Record<string, string>, number, Shape]
  ) => spec(account, `arn:aws:s3:::${name}`, name, S3, ...rest);
  return [
    // aws-production: instances (m5.xlarge $0.192/h, c5.2xlarge $0.34/h, r5.2xlarge $0.504/h ...)
    ec2(p, 'web-1', ue1, BOB, prod('prod', 'backend', 'storefront'), perDay(0.192), { profile: 'business' }),
    ec2(p, 'web-2', ue1, BOB, prod('prod', 'backend', 'storefront'), perDay(0.192), { profile: 'business' }),
    ec2(p, 'web-3', ue1, BOB, prod('prod', 'backend', 'storefront'), perDay(0.192), { profile: 'business' }),
    ec2(p, 'web-4', ue1, BOB, prod('prod', 'backend', 'storefront'), perDay(0.192), {
      profile: 'business',
      from: 0.3,
    }),
    ec2(p, 'api-1', ue1, BOB, prod('prod', 'backend', 'api'), perDay(0.34), { profile: 'business' }),
    ec2(p, 'api-2', ue1, BOB, prod('prod', 'backend', 'api'), perDay(0.34), { profile: 'business' }),
    ec2(p, 'order-worker-1', ue1, BOB, prod('prod', 'backend', 'order-worker'), perDay(0.68), {
      profile: 'batch',
    }),
    ec2(p, 'search-1', ue1, CAROL, prod('prod', 'data', 'search'), perDay(0.504), {
      profile: 'steady',
      noise: 0.01,
    }),
    ec2(p, 'search-2', ue1, CAROL, prod('prod', 'data', 'search'), perDay(0.504), {
      profile: 'steady',
      noise: 0.01,
      from: 0.3,
    }),
    ec2(p, 'kafka-1', ue1, ALICE, { team: 'platform' }, perDay(1.008), { profile: 'steady', noise: 0.01 }),
    ec2(p, 'bastion', ue1, ALICE, {}, perDay(0.0208), { profile: 'steady', noise: 0.005 }),
    ec2(p, 'legacy-reporting', ue1, CAROL, { env: 'prod' }, perDay(0.768), {
      profile: 'steady',
      until: 0.55,
    }),
    ec2(p, 'jenkins', ue1, EVE, prod('prod', 'platform', 'ci'), perDay(1.53), {
      profile: 'batch',
      noise: 0.12,
    }),
    // aws-production: volumes
    vol(p, 'kafka-1-data', ue1, ALICE, { team: 'platform', app: 'kafka' }, gp3(2000), {
      profile: 'steady',
      noise: 0.002,
    }),
    vol(p, 'search-1-data', ue1, CAROL, prod('prod', 'data', 'search'), gp3(1000), {
      profile: 'steady',
      noise: 0.002,
    }),
    vol(p, 'search-2-data', ue1, CAROL, prod('prod', 'data', 'search'), gp3(1000), {
      profile: 'steady',
      noise: 0.002,
      from: 0.3,
    }),
    vol(p, 'legacy-reporting-data', ue1, CAROL, { env: 'prod' }, gp3(1500), {
      profile: 'steady',
      noise: 0.002,
      until: 0.55,
    }),
    vol(p, 'jenkins-workspace', ue1, EVE, prod('prod', 'platform', 'ci'), gp3(500), {
      profile: 'steady',
      noise: 0.002,
    }),
    vol(p, 'order-worker-scratch', ue1, BOB, prod('prod', 'backend', 'order-worker'), gp3(200), {
      profile: 'steady',
      noise: 0.002,
    }),
    vol(p, 'restore-test-vol', ue1, ALICE, {}, gp3(300), { profile: 'steady', noise: 0.002, from: 0.15 }),
    vol(p, 'bastion-root', ue1, ALICE, {}, gp3(30), { profile: 'steady', noise: 0.002 }),
    // aws-production: databases (db.r6g.2xlarge / db.r6g.xlarge Multi-AZ + storage)
    spec(
      p,
      rdsArn(AWS_PROD_REF, ue1, 'orders-db'),
      'orders-db',
      RDS,
      ue1,
      BOB,
      prod('prod', 'backend', 'orders'),
      46.2,
      {
        profile: 'steady',
        noise: 0.02,
        growth: 0.001,
      },
    ),
    spec(
      p,
      rdsArn(AWS_PROD_REF, ue1, 'reporting-replica'),
      'reporting-replica',
      RDS,
      ue1,
      CAROL,
      { env: 'prod', team: 'data' },
      22.4,
      {
        profile: 'steady',
        noise: 0.02,
      },
    ),
    // aws-production: buckets, network
    bucket(p, 'democorp-prod-assets', ue1, BOB, prod('prod', 'backend', 'storefront'), 1.85, {
      profile: 'business',
      noise: 0.03,
    }),
    bucket(p, 'democorp-prod-logs', ue1, ALICE, { env: 'prod', team: 'platform' }, 4.2, {
      profile: 'steady',
      growth: 0.006,
    }),
    bucket(
      p,
      'democorp-prod-backups',
      'us-west-2',
      ALICE,
      { env: 'prod', team: 'platform', app: 'backup' },
      3.1,
      {
        profile: 'steady',
        noise: 0.01,
        growth: 0.002,
      },
    ),
    bucket(p, 'democorp-terraform-state', ue1, ALICE, {}, 0.021, { profile: 'steady', noise: 0.05 }),
    bucket(p, 'democorp-ml-exports', ue1, DMITRI, { team: 'ml' }, 0.6, {
      profile: 'batch',
      growth: 0.02,
      from: 0.5,
    }),
    spec(
      p,
      awsId('nat', 'prod-nat-us-east-1a'),
      'prod-nat-us-east-1a',
      NAT,
      ue1,
      ALICE,
      { env: 'prod', team: 'platform' },
      3.5,
      {
        profile: 'business',
        noise: 0.08,
      },
    ),
    spec(
      p,
      `arn:aws:elasticloadbalancing:${ue1}:${AWS_PROD_REF}:loadbalancer/app/storefront-alb/${hex('storefront-alb', 16)}`,
      'storefront-alb',
      ELB,
      ue1,
      BOB,
      prod('prod', 'backend', 'storefront'),
      1.9,
      { profile: 'business', noise: 0.06 },
    ),
    // aws-staging
    ec2(s, 'stg-web-1', ue1, BOB, prod('staging', 'backend', 'storefront'), perDay(0.096), {
      profile: 'staging',
    }),
    ec2(s, 'stg-api-1', ue1, BOB, prod('staging', 'backend', 'api'), perDay(0.085), { profile: 'staging' }),
    ec2(s, 'stg-worker-1', ue1, BOB, { env: 'staging', team: 'backend' }, perDay(0.17), {
      profile: 'staging',
    }),
    ec2(s, 'load-test-runner', ue1, EVE, { env: 'staging', team: 'qa' }, perDay(1.53), {
      profile: 'batch',
      noise: 0.15,
      from: 0.45,
      until: 0.6,
    }),
    ec2(s, 'dev-sandbox-dmitri', ue1, DMITRI, {}, perDay(0.526), {
      profile: 'business',
      noise: 0.1,
      from: 0.2,
      until: 0.5,
    }),
    vol(s, 'stg-web-1-root', ue1, BOB, { env: 'staging' }, gp3(50), { profile: 'steady', noise: 0.002 }),
    vol(s, 'load-test-results', ue1, EVE, { env: 'staging', team: 'qa' }, gp3(500), {
      profile: 'steady',
      noise: 0.002,
      from: 0.45,
    }),
    vol(s, 'stg-worker-scratch', ue1, BOB, { env: 'staging', team: 'backend' }, gp3(100), {
      profile: 'steady',
      noise: 0.002,
    }),
    spec(
      s,
      rdsArn(AWS_STAGING_REF, ue1, 'stg-orders-db'),
      'stg-orders-db',
      RDS,
      ue1,
      BOB,
      prod('staging', 'backend', 'orders'),
      perDay(0.136),
      {
        profile: 'steady',
        noise: 0.02,
      },
    ),
    bucket(s, 'democorp-staging-assets', ue1, BOB, { env: 'staging' }, 0.35, {
      profile: 'staging',
      noise: 0.05,
    }),
  ];
}

function azureResources(): ResourceSpec[] {
  const a = 'azure' as const;
  const weu = 'westeurope';
  const rg = (group: string, provider: string, name: string): string =>
    `/subscriptions/${AZURE_SUBSCRIPTION}/resourceGroups/${group}/providers/${provider}/${name}`;
  const vm = (name: string, ...rest: [string, string, Record<string, string>, number, Shape]) =>
    spec(a, rg('rg-analytics-prod', 'Microsoft.Compute', `virtualMachines/${name}`), name, AZ_VM, ...rest);
  const disk = (name: string, ...rest: [string, string, Record<string, string>, number, Shape]) =>
    spec(a, rg('rg-analytics-prod', 'Microsoft.Compute', `disks/${name}`), name, AZ_DISK, ...rest);
  const sql = (
    server: string,
    db: string,
    ...rest: [string, string, Record<string, string>, number, Shape]
  ) =>
    spec(
      a,
      rg('rg-analytics-prod', 'Microsoft.Sql', `servers/${server}/databases/${db}`),
      db,
      AZ_SQL,
      ...rest,
    );
  const storage = (
    group: string,
    name: string,
    ...rest: [string, string, Record<string, string>, number, Shape]
  ) => spec(a, rg(group, 'Microsoft.Storage', `storageAccounts/${name}`), name, AZ_STORAGE, ...rest);
  const data = (app: string): Record<string, string> => ({ env: 'prod', team: 'data', app });
  return [
    // Standard_D8s_v5 $0.42/h, Standard_E8s_v5 $0.55/h, Standard_D4s_v3 $0.192/h, Standard_B2ms $0.083/h (West Europe)
    vm('vm-etl-01', weu, CAROL, data('etl'), perDay(0.42), { profile: 'batch' }),
    vm('vm-etl-02', weu, CAROL, data('etl'), perDay(0.42), { profile: 'batch' }),
    vm('vm-spark-01', weu, CAROL, data('spark'), perDay(0.55), { profile: 'batch', noise: 0.08 }),
    vm('vm-spark-02', weu, CAROL, data('spark'), perDay(0.55), { profile: 'batch', noise: 0.08, from: 0.6 }),
    vm('vm-etl-legacy', weu, CAROL, { env: 'prod' }, perDay(0.192), {
      profile: 'steady',
      noise: 0.01,
      until: 0.7,
    }),
    vm('vm-powerbi-gw', 'northeurope', CAROL, {}, perDay(0.083), { profile: 'steady', noise: 0.01 }),
    // Premium SSD P30 (1 TiB) ~$135/month, P40 (2 TiB) ~$259/month
    disk('vm-etl-01-datadisk', weu, CAROL, data('etl'), 135 / 30.4, { profile: 'steady', noise: 0.001 }),
    disk('spark-shared-disk', weu, CAROL, data('spark'), 259 / 30.4, { profile: 'steady', noise: 0.001 }),
    // General Purpose Gen5 8 vCore ~$1.01/h; Gen5 2 vCore ~$0.25/h
    sql('sql-analytics', 'warehouse', weu, CAROL, data('warehouse'), perDay(1.01), {
      profile: 'steady',
      noise: 0.01,
      growth: 0.001,
    }),
    sql('sql-analytics', 'ops-db', weu, CAROL, { team: 'data' }, perDay(0.254), {
      profile: 'steady',
      noise: 0.01,
    }),
    storage('rg-analytics-prod', 'stanalyticsraw', weu, CAROL, data('datalake'), 6.5, {
      profile: 'steady',
      growth: 0.004,
    }),
    storage('rg-analytics-prod', 'stanalyticscurated', weu, CAROL, data('datalake'), 2.8, {
      profile: 'business',
      growth: 0.002,
    }),
    storage('rg-backups', 'stbackupsweu', weu, ALICE, { env: 'prod', team: 'platform' }, 1.1, {
      profile: 'steady',
      noise: 0.01,
    }),
  ];
}

function gcpResources(): ResourceSpec[] {
  const g = 'gcp' as const;
  const ew4 = 'europe-west4';
  const gce = (zone: string, name: string, ...rest: [string, Record<string, string>, number, Shape]) =>
    spec(g, `projects/${GCP_PROJECT}/zones/${zone}/instances/${name}`, name, GCE, zone.slice(0, -2), ...rest);
  const dataset = (name: string, ...rest: [string, string, Record<string, string>, number, Shape]) =>
    spec(g, `projects/${GCP_PROJECT}/datasets/${name}`, name, BQ, ...rest);
  const bucket = (name: string, ...rest: [string, string, Record<string, string>, number, Shape]) =>
    spec(g, `projects/_/buckets/${name}`, name, GCS, ...rest);
  const ml = (app: string): Record<string, string> => ({ env: 'prod', team: 'ml', app });
  return [
    // g2-standard-24 (2x L4) ~$2.2/h, g2-standard-8 (1x L4) ~$0.94/h, n1-standard-8 + T4 ~$0.73/h
    gce('europe-west4-a', 'gpu-train-1', DMITRI, ml('training'), perDay(2.2) * 0.85, {
      profile: 'batch',
      noise: 0.1,
      growth: 0.004,
    }),
    gce('europe-west4-a', 'gpu-train-2', DMITRI, ml('training'), perDay(2.2) * 0.85, {
      profile: 'batch',
      noise: 0.1,
      growth: 0.004,
      from: 0.35,
    }),
    gce('europe-west4-b', 'gpu-train-3', DMITRI, ml('training'), perDay(0.94), {
      profile: 'batch',
      noise: 0.1,
      from: 0.7,
    }),
    gce('europe-west4-b', 'inference-1', DMITRI, ml('inference'), perDay(0.73), {
      profile: 'steady',
      noise: 0.01,
    }),
    gce('europe-west4-a', 'notebook-carol', CAROL, { team: 'data' }, perDay(0.21), {
      profile: 'business',
      noise: 0.2,
      until: 0.4,
    }),
    gce('europe-west4-c', 'mlflow-server', DMITRI, { env: 'prod', team: 'ml' }, perDay(0.147), {
      profile: 'steady',
      noise: 0.01,
    }),
    gce('us-central1-a', 'feature-etl', CAROL, ml('features'), perDay(0.57), {
      profile: 'batch',
      noise: 0.08,
      from: 0.25,
    }),
    // Nine days before the end a backfill query scanned the whole table: $640 instead of ~$12.
    dataset('events_raw', ew4, CAROL, { env: 'prod', team: 'data', app: 'events' }, 12, {
      profile: 'business',
      noise: 0.15,
      growth: 0.004,
      spike: { daysBeforeEnd: DEMO_SPIKE_DAYS_BEFORE_END, cost: 640 },
    }),
    dataset('feature_store', ew4, DMITRI, ml('features'), 6, {
      profile: 'batch',
      noise: 0.12,
      growth: 0.01,
      from: 0.25,
    }),
    dataset('ml_eval', ew4, DMITRI, {}, 1.5, { profile: 'batch', noise: 0.3 }),
    bucket('democorp-training-data', ew4, DMITRI, ml('training'), 5.5, {
      profile: 'steady',
      noise: 0.02,
      growth: 0.008,
    }),
    bucket('democorp-model-artifacts', ew4, DMITRI, ml('registry'), 1.6, {
      profile: 'steady',
      noise: 0.02,
      growth: 0.005,
    }),
    bucket('democorp-ml-tmp', ew4, DMITRI, {}, 0.3, { profile: 'batch', noise: 0.25 }),
  ];
}

// ---------------------------------------------------------------- clusters

interface ClusterDay {
  cpu: number;
  ram: number;
  gpu: number;
  storage: number;
  network: number;
  loadBalancer: number;
  management: number;
  /** Fraction of cpu + ram + gpu no container claimed (0.10 .. 0.35). */
  idleFraction: number;
  /** The nodes and their hours that day: their cpu, ram and gpu add up to the cluster's. */
  nodes: DemoNode[];
}

/** A node of a demo cluster-day; `billed` is what its bill line says, absent for unbilled ones. */
interface DemoNode {
  name: string;
  providerId: string;
  hours: number;
  cpu: number;
  ram: number;
  gpu: number;
  /** The bill: its account, ResourceId and cost that day (a discount on the list price). */
  bill?: { account: AccountKey; cloudResourceId: string; cost: number };
}

/** An EC2 instance id (17 hex digits) for a demo node, stable across runs. */
function instanceId(name: string): string {
  return `i-0${hex(name, 16)}`;
}

/** Kubecost price gauges are hourly; EKS and GKE both charge $0.10/h for the control plane. */
const MANAGEMENT_PER_HOUR = 0.1;
const LOAD_BALANCER_PER_HOUR = 0.025;
const HOURS_PER_MONTH = 730;

/**
 * prod-eks: m5.xlarge nodes (4 vCPU, 16 GiB, $0.192/h = 4 x $0.0316 + 16 x $0.0041), 8 on
 * weekdays and 6 at weekends plus a few burst node-hours; 1.2 TiB of gp3 volumes; two load
 * balancers; EKS control plane.
 */
function prodEksDay(day: string, weekend: boolean): ClusterDay {
  const u = (what: string): number => draw('prod-eks', what, day);
  const burstHours = u('burst') * (weekend ? 4 : 10);
  // At weekends nodes 7 and 8 are drained after two hours.
  const nodeHours = (weekend ? 6 * 24 + 2 * 2 : 8 * 24) + burstHours;
  // Nodes 1-8 run on a Compute Savings Plan (35% off the $0.192/h list price) and are in the AWS
  // bill; the burst capacity is spot, bought by the cluster autoscaler, and has no bill line here.
  const nodes: DemoNode[] = [];
  const eksNode = (name: string, hours: number, billed: boolean) => {
    const id = instanceId(`prod-eks|${name}`);
    nodes.push({
      name,
      providerId: `aws:///us-east-1a/${id}`,
      hours,
      cpu: hours * 4 * 0.0316,
      ram: hours * 16 * 0.0041,
      gpu: 0,
      bill: billed
        ? {
            account: 'awsProd',
            cloudResourceId: `arn:aws:ec2:us-east-1:${AWS_PROD_REF}:instance/${id}`,
            cost: round6(hours * 0.192 * 0.65),
          }
        : undefined,
    });
  };
  for (let k = 1; k <= 8; k++) eksNode(`ip-10-0-${k}-${10 + k}`, weekend && k > 6 ? 2 : 24, true);
  if (burstHours > 0) eksNode('ip-10-0-9-99', burstHours, false);
  const internetGiB = (weekend ? 35 : 70) * (0.85 + 0.3 * u('internet'));
  const zoneGiB = (weekend ? 250 : 450) * (0.85 + 0.3 * u('zone'));
  return {
    cpu: nodeHours * 4 * 0.0316,
    ram: nodeHours * 16 * 0.0041,
    gpu: 0,
    storage: (1200 * 0.08 * 24) / HOURS_PER_MONTH,
    network: internetGiB * 0.09 + zoneGiB * 0.01,
    loadBalancer: 2 * LOAD_BALANCER_PER_HOUR * 24,
    management: MANAGEMENT_PER_HOUR * 24,
    idleFraction: (weekend ? 0.24 : 0.14) + 0.08 * u('idle'),
    nodes,
  };
}

/**
 * ml-gke: 4 (3 at weekends) n2-standard-8 CPU nodes plus a g2-standard-8 GPU pool (1 NVIDIA L4,
 * $0.65/h) that has grown from 2 to 6 nodes over the last ~90 days; pd-balanced training cache
 * growing by ~11 GiB a day; one load balancer; GKE control plane.
 */
function mlGkeDay(day: string, weekend: boolean, daysBeforeEnd: number): ClusterDay {
  const u = (what: string): number => draw('ml-gke', what, day);
  const burstHours = u('burst') * 8;
  // At weekends CPU node 4 is drained after two hours.
  const cpuNodeHours = (weekend ? 3 * 24 + 2 : 4 * 24) + burstHours;
  const gpuNodes = Math.max(1, 6 - Math.floor(daysBeforeEnd / 22));
  const gpuNodeHours = gpuNodes * 24 * (0.75 + 0.25 * u('gpu'));
  // CPU nodes 1-4 are on a committed-use discount (20% off) and GPU nodes at list price, all in
  // the GCP bill; the burst node is preemptible capacity of another project, not billed here.
  const nodes: DemoNode[] = [];
  const gkeNode = (name: string, hours: number, gpus: number, discount: number | null) => {
    const cpu = hours * 8 * 0.0347;
    const ram = hours * 32 * 0.00466;
    const gpu = hours * gpus * 0.65;
    nodes.push({
      name,
      providerId: `gce://${GCP_PROJECT}/europe-west4-a/${name}`,
      hours,
      cpu,
      ram,
      gpu,
      bill:
        discount === null
          ? undefined
          : {
              account: 'gcp',
              cloudResourceId: `projects/${GCP_PROJECT}/zones/europe-west4-a/instances/${name}`,
              cost: round6((cpu + ram + gpu) * (1 - discount)),
            },
    });
  };
  for (let k = 1; k <= 4; k++) gkeNode(`gke-ml-cpu-pool-${k}`, weekend && k === 4 ? 2 : 24, 0, 0.2);
  if (burstHours > 0) gkeNode('gke-ml-cpu-pool-burst', burstHours, 0, null);
  for (let k = 1; k <= gpuNodes; k++) gkeNode(`gke-ml-gpu-pool-${k}`, gpuNodeHours / gpuNodes, 1, 0);
  const nodeHours = cpuNodeHours + gpuNodeHours;
  const cacheGiB = Math.max(512, 2560 - 11 * daysBeforeEnd);
  const internetGiB = 20 * (0.7 + 0.6 * u('internet'));
  const zoneGiB = 300 * (0.7 + 0.6 * u('zone'));
  return {
    cpu: nodeHours * 8 * 0.0347,
    ram: nodeHours * 32 * 0.00466,
    gpu: gpuNodeHours * 0.65,
    storage: (cacheGiB * 0.11 * 24) / HOURS_PER_MONTH,
    network: internetGiB * 0.12 + zoneGiB * 0.01,
    loadBalancer: 1 * LOAD_BALANCER_PER_HOUR * 24,
    management: MANAGEMENT_PER_HOUR * 24,
    idleFraction: 0.2 + 0.15 * u('idle'),
    nodes,
  };
}

interface ClusterSpec {
  account: 'prodEks' | 'mlGke';
  tags: Record<string, string>;
  day(day: string, weekend: boolean, daysBeforeEnd: number): ClusterDay;
}

const CLUSTERS: ClusterSpec[] = [
  { account: 'prodEks', tags: { env: 'prod' }, day: prodEksDay },
  { account: 'mlGke', tags: { env: 'ml' }, day: mlGkeDay },
];

// ---------------------------------------------------------------- assembly

function isWeekend(day: string): boolean {
  const dow = (parseDay(day) as Date).getUTCDay();
  return dow === 0 || dow === 6;
}

/** Index range [first, last] of the days a resource exists on, from its from/until fractions. */
function lifetime(spec: { from?: number; until?: number }, days: number): [number, number] {
  const first = spec.from === undefined ? 0 : Math.min(days - 1, Math.floor(spec.from * days));
  const last = spec.until === undefined ? days - 1 : Math.max(first, Math.floor(spec.until * days) - 1);
  return [first, last];
}

function dailyCost(spec: ResourceSpec, resourceId: string, day: string, daysBeforeEnd: number): number {
  if (spec.spike?.daysBeforeEnd === daysBeforeEnd) return spec.spike.cost;
  const weekFactor = isWeekend(day) ? WEEKEND_FACTOR[spec.profile] : 1;
  const trend = Math.pow(1 + spec.growth, -daysBeforeEnd);
  const noise = 1 + spec.noise * (2 * draw(resourceId, day) - 1);
  return Math.max(0.000001, round6(spec.daily * weekFactor * trend * noise));
}

/** Builds the demo organization for the `days` UTC days ending on `lastDay` (inclusive). */
export function buildDemoData(options: { lastDay: string; days?: number; now: Date }): DemoData {
  const days = options.days ?? DEFAULT_DAYS;
  if (parseDay(options.lastDay) === null) throw badInput('lastDay', 'must be a calendar day as YYYY-MM-DD');
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw badInput('days', `must be an integer from 1 to ${MAX_DAYS}`);
  }
  if (Number.isNaN(options.now.getTime())) throw badInput('now', 'must be a valid date');

  const firstDay = addDays(options.lastDay, -(days - 1));
  const dayList = eachDay(firstDay, options.lastDay);
  const orgId = DEMO_ORGANIZATION.id;
  const createdAt = parseDay(firstDay) as Date;

  const accounts: CloudAccount[] = ACCOUNT_ORDER.map((key) => ({
    ...ACCOUNTS[key],
    organizationId: orgId,
    deleted: false,
    createdAt: new Date(createdAt.getTime()),
  }));

  const resources: ResourceRecord[] = [];
  const expenses: ExpenseRecord[] = [];
  const k8sBreakdowns: K8sBreakdownRecord[] = [];

  // Cloud resources: cost per day they exist.
  const cloudSpecs = [...awsResources(), ...azureResources(), ...gcpResources()];
  const perDayRows: ExpenseRecord[][] = dayList.map(() => []);
  for (const spec of cloudSpecs) {
    const cloudAccountId = ACCOUNTS[spec.account].id;
    const id = uuidFrom(`${cloudAccountId}|${spec.cloudResourceId}`);
    const [first, last] = lifetime(spec, days);
    for (let i = first; i <= last; i++) {
      const day = dayList[i] as string;
      const cost = dailyCost(spec, id, day, days - 1 - i);
      (perDayRows[i] as ExpenseRecord[]).push({ cloudAccountId, resourceId: id, date: day, cost, sign: 1 });
    }
    resources.push({
      id,
      organizationId: orgId,
      cloudAccountId,
      cloudResourceId: spec.cloudResourceId,
      name: spec.name,
      resourceType: spec.resourceType,
      region: spec.region,
      service: spec.service,
      owner: spec.owner,
      tags: { ...spec.tags },
      firstSeen: dayList[first] as string,
      lastSeen: dayList[last] as string,
    });
  }

  // Clusters: one virtual resource each. Their nodes are also in the AWS and GCP bills (as a
  // real installation's are), so each cluster-day is reconciled like a run would: the breakdown
  // holds the reconciled cost, the cluster's expense only what no bill line carries.
  const estimates: StoredEstimate[] = [];
  const allocations: AllocationDayRows[] = [];
  const links = new Map<string, ClusterResourceLink>();
  const nodeResources = new Map<string, ResourceRecord>();
  for (const cluster of CLUSTERS) {
    const account = ACCOUNTS[cluster.account];
    const id = uuidFrom(`${account.id}|${account.name}`);
    resources.push({
      id,
      organizationId: orgId,
      cloudAccountId: account.id,
      cloudResourceId: account.name,
      name: account.name,
      resourceType: 'K8s Cluster',
      region: account.region,
      service: 'Kubernetes',
      owner: account.owner,
      tags: { ...cluster.tags },
      firstSeen: firstDay,
      lastSeen: options.lastDay,
    });
    dayList.forEach((day, i) => {
      const raw = cluster.day(day, isWeekend(day), days - 1 - i);
      const cpu = round6(raw.cpu);
      const ram = round6(raw.ram);
      const gpu = round6(raw.gpu);
      const nodeUnsplit = 0;
      const storage = round6(raw.storage);
      const network = round6(raw.network);
      const loadBalancer = round6(raw.loadBalancer);
      const management = round6(raw.management);
      const idleFraction = Math.min(0.35, Math.max(0.1, raw.idleFraction));
      const idle = round6(idleFraction * round6(cpu + ram + gpu));
      const total = round6(
        breakdownTotal({ cpu, ram, gpu, nodeUnsplit, storage, network, loadBalancer, management, idle }),
      );
      const estimated = {
        cpu,
        ram,
        gpu,
        nodeUnsplit,
        storage,
        network,
        loadBalancer,
        management,
        idle,
        total,
      };
      const nodes = raw.nodes.map((n): NodeEstimate => ({
        name: n.name,
        providerId: n.providerId,
        cpu: round6(n.cpu),
        ram: round6(n.ram),
        gpu: round6(n.gpu),
        unsplit: 0,
        idle: round6(idleFraction * (n.cpu + n.ram + n.gpu)),
        hours: round6(n.hours),
      }));
      const lines: BilledLine[] = [];
      for (const n of raw.nodes) {
        if (!n.bill) continue;
        const billAccount = ACCOUNTS[n.bill.account];
        const resourceId = uuidFrom(`${billAccount.id}|${n.bill.cloudResourceId}`);
        lines.push({
          resourceId,
          cloudResourceId: n.bill.cloudResourceId,
          provider: billAccount.type,
          accountRef: billAccount.accountRef,
          date: day,
          cost: n.bill.cost,
        });
        (perDayRows[i] as ExpenseRecord[]).push({
          cloudAccountId: billAccount.id,
          resourceId,
          date: day,
          cost: n.bill.cost,
          sign: 1,
        });
        const seen = nodeResources.get(resourceId);
        nodeResources.set(resourceId, {
          id: resourceId,
          organizationId: orgId,
          cloudAccountId: billAccount.id,
          cloudResourceId: n.bill.cloudResourceId,
          name: `${account.name}-${n.name}`,
          resourceType: billAccount.type === 'AWS' ? EC2.resourceType : GCE.resourceType,
          region: account.region,
          service: billAccount.type === 'AWS' ? EC2.service : GCE.service,
          owner: account.owner,
          tags: { ...cluster.tags, k8s_cluster: account.name },
          firstSeen: seen?.firstSeen ?? day,
          lastSeen: day,
        });
        links.set(resourceId, { resourceId, clusterId: account.id, kind: 'NODE', lastMatched: day });
      }
      const estimate = { breakdown: estimated, nodes, volumes: [] };
      estimates.push({ clusterId: account.id, date: day, provisional: false, estimate });
      const reconciled = reconcileDay(day, estimate, lines);
      allocations.push({
        clusterId: account.id,
        day,
        rows: demoAllocation({
          cluster: cluster.account === 'prodEks' ? 'prod-eks' : 'ml-gke',
          nodes: raw.nodes,
          idleFraction,
          storage,
          network,
          loadBalancer,
          management,
        }),
        correction: allocationCorrection(reconciled),
      });
      k8sBreakdowns.push({
        cloudAccountId: account.id,
        resourceId: id,
        date: day,
        ...reconciled.reconciled,
        provisional: false,
        sign: 1,
      });
      (perDayRows[i] as ExpenseRecord[]).push({
        cloudAccountId: account.id,
        resourceId: id,
        date: day,
        cost: round6(reconciled.unbilled),
        sign: 1,
      });
    });
  }
  resources.push(...nodeResources.values());
  for (const rows of perDayRows) expenses.push(...rows);
  k8sBreakdowns.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));

  const heartbeats = [
    { cloudAccountId: ACCOUNTS.prodEks.id, at: new Date(options.now.getTime()) },
    { cloudAccountId: ACCOUNTS.mlGke.id, at: new Date(options.now.getTime() - 2 * DAY_MS) },
  ];

  return {
    organization: { ...DEMO_ORGANIZATION },
    imports: demoImports(accounts, expenses, options.now),
    budgets: demoBudgets(dayList.slice(-30), accounts, resources, expenses, k8sBreakdowns),
    accounts,
    resources,
    expenses,
    k8sBreakdowns,
    estimates,
    allocations,
    links: [...links.values()],
    heartbeats,
  };
}

// ---------------------------------------------------------------- import history

/**
 * One import per cloud account and month, each summing the expense rows it stands for, made the
 * morning after the month's last day in the data (at most an hour before `now`); and the one
 * that was refused, as the reader refuses a file that is not FOCUS.
 */
function demoImports(accounts: CloudAccount[], expenses: ExpenseRecord[], now: Date): FocusImportRecord[] {
  const cloudAccounts = accounts.filter((a) => a.type !== 'KUBERNETES');
  const cloud = new Map(cloudAccounts.map((a) => [a.id, a]));
  const groups = new Map<
    string,
    { account: CloudAccount; month: string; rows: number; cost: number; first: string; last: string }
  >();
  for (const row of expenses) {
    const account = cloud.get(row.cloudAccountId);
    if (!account) continue;
    const month = row.date.slice(0, 7);
    const key = `${account.id}|${month}`;
    const group = groups.get(key) ?? { account, month, rows: 0, cost: 0, first: row.date, last: row.date };
    group.rows += 1;
    group.cost += row.cost;
    if (row.date < group.first) group.first = row.date;
    if (row.date > group.last) group.last = row.date;
    groups.set(key, group);
  }
  const latest = now.getTime() - 3_600_000;
  const imports: FocusImportRecord[] = [...groups.values()].map((g) => {
    // The accounts' exports of a month arrive a minute apart, in account order.
    const offset = cloudAccounts.indexOf(g.account) * 60_000;
    const started = Math.min(Date.parse(`${addDays(g.last, 1)}T06:00:00Z`) + offset, latest);
    return {
      id: uuidFrom(`import|${g.account.id}|${g.month}`),
      organizationId: DEMO_ORGANIZATION.id,
      startedAt: new Date(started),
      finishedAt: new Date(started + 4_000 + g.rows * 2),
      state: 'SUCCEEDED',
      files: [`focus/${g.account.name}-${g.month}.csv.gz`],
      costColumn: 'EFFECTIVE',
      rowsRead: g.rows,
      rowsImported: g.rows,
      rowsRefused: 0,
      totalCost: Math.round(g.cost * 1e6) / 1e6,
      firstDay: g.first,
      lastDay: g.last,
      error: null,
    };
  });
  const refusedAt = latest - 2 * 3_600_000;
  const file = 'focus/oracle-export-latest.csv';
  imports.push({
    id: uuidFrom('import|refused'),
    organizationId: DEMO_ORGANIZATION.id,
    startedAt: new Date(refusedAt),
    finishedAt: new Date(refusedAt + 120),
    state: 'FAILED',
    files: [file],
    costColumn: 'EFFECTIVE',
    rowsRead: 0,
    rowsImported: 0,
    rowsRefused: 0,
    totalCost: 0,
    firstDay: null,
    lastDay: null,
    error: `${file}: not a FOCUS file: mandatory columns missing: BilledCost, ChargePeriodStart`,
  });
  return imports.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
}

// ---------------------------------------------------------------- budgets

function demoBudgets(
  last30: readonly string[],
  accounts: readonly CloudAccount[],
  resources: readonly ResourceRecord[],
  expenses: readonly ExpenseRecord[],
  breakdowns: readonly K8sBreakdownRecord[],
): DemoBudget[] {
  const days = new Set(last30);
  const byId = new Map(resources.map((r) => [r.id, r]));
  const typeOf = new Map(accounts.map((a) => [a.id, a.type]));
  const recent = expenses.filter((e) => days.has(e.date));
  const sum = (rows: readonly { cost: number }[]) => rows.reduce((total, row) => total + row.cost, 0);
  const aws = sum(recent.filter((e) => typeOf.get(e.cloudAccountId) === 'AWS'));
  const data = sum(recent.filter((e) => byId.get(e.resourceId)?.tags.team === 'data'));
  const ml = sum(recent.filter((e) => byId.get(e.resourceId)?.tags.env === 'ml'));
  const prodEks = breakdowns
    .filter((b) => b.cloudAccountId === ACCOUNTS.prodEks.id && days.has(b.date))
    .reduce((total, b) => total + breakdownTotal(b), 0);
  // Whole hundreds of dollars, as people set budgets.
  const hundreds = (value: number) => Math.max(100, Math.round(value / 100) * 100);
  return [
    {
      name: 'prod-eks cluster',
      amount: hundreds(prodEks * 1.25),
      period: 'MONTHLY',
      filter: { k8sClusterIds: [ACCOUNTS.prodEks.id] },
      thresholds: [
        { percent: 80, basis: 'ACTUAL' },
        { percent: 100, basis: 'FORECAST' },
      ],
    },
    {
      name: 'AWS',
      amount: hundreds(aws * 0.95),
      period: 'MONTHLY',
      filter: { providers: ['AWS'] },
      thresholds: [
        { percent: 90, basis: 'ACTUAL' },
        { percent: 100, basis: 'FORECAST' },
      ],
    },
    {
      name: 'Data team',
      amount: hundreds(data * 0.6),
      period: 'MONTHLY',
      filter: { tags: [{ key: 'team', value: 'data' }] },
      thresholds: [
        { percent: 75, basis: 'ACTUAL' },
        { percent: 100, basis: 'ACTUAL' },
        { percent: 110, basis: 'FORECAST' },
      ],
    },
    {
      name: 'ML quarter',
      amount: hundreds(ml * 3.3),
      period: 'QUARTERLY',
      filter: { tags: [{ key: 'env', value: 'ml' }] },
      thresholds: [{ percent: 100, basis: 'FORECAST' }],
    },
  ];
}
