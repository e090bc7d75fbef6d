import type { FocusCostColumn, FocusRowError } from '../domain/model';
import type { StagedCharge } from '../domain/ports';
import { badInput } from '../errors';
import type { CsvRecord } from './csv-record.parser';
import type { FocusColumns } from './focus-columns';
import { CHARGE_CATEGORIES, parseTags, providerOf, readDecimal, TimestampReader } from './focus-values';
import { DAY_MS, dayToIso, splitByUtcDay } from './day-split';
import { stableId } from './stable-id';
import { ByteKeyMap } from './byte-key.map';
import { SumsByKey } from './sums-by-key';
import { chargeKey, chargeRows, MAX_DAY, MAX_PERIODS, MAX_RESOURCES, type BillingPeriod } from './charge-key';
import {
  NO_CATEGORY,
  NO_NAME,
  NO_REGION,
  NO_TYPE,
  type AccumulatorSummary,
  type DimsAt,
  type FocusAccount,
  type SummaryResource,
} from './focus-summary';

interface AccountEntry extends FocusAccount {
  providerKey: string;
  /** By the bytes of ResourceId. */
  resources: ByteKeyMap<ResourceEntry>;
  /** By ServiceName + RegionId. */
  unattributed: Map<string, ResourceEntry>;
}

/** What a (ProviderName, BillingAccountId, SubAccountId) triple resolves to, cached per triple. */
interface RowAccount {
  account: AccountEntry;
  billingAccountRef: string;
  /** Billing period start day -> billing period index. */
  periods: Map<number, number>;
}

/** Rows of a worker's block, or of a file, are numbered from here: 2^32 apart (exact below 2^53). */
const POSITION_STRIDE = 2 ** 32;

interface ResourceEntry {
  index: number;
  id: string;
  /** Position of the row that created it (its service comes from that row). */
  at: number;
  /** Position of the row each dimension was taken from: name, type, region, category. */
  dimsAt: DimsAt;
  account: AccountEntry;
  /** `account.id`, under the name a charge row reads it by. */
  cloudAccountId: string;
  cloudResourceId: string;
  name: string;
  resourceType: string;
  region: string;
  service: string;
  serviceCategory: string;
  /** The Tags of its latest charge (by ChargePeriodStart; the greater text on a tie). */
  tags: Record<string, string>;
  tagsRaw: Buffer | null;
  tagsAt: number;
  /** Another Tags text already found valid for this resource, so it is not parsed again. */
  checkedRaw: Buffer | null;
  checkedTags: Record<string, string>;
  firstDay: number;
  lastDay: number;
  missing: number;
}

/** The current row as `add` reads it, step by step. */
class RowScratch {
  hasSub = false;
  // Byte ranges of ProviderName, BillingAccountId, SubAccountId and ResourceId.
  ps = 0;
  pe = 0;
  bs = 0;
  be = 0;
  ss = 0;
  se = 0;
  rs = 0;
  re = 0;
  account: RowAccount | undefined = undefined;
  category = 0;
  cost = 0;
  start = 0;
  end = 0;
  billingDay = 0;
  firstDay = 0;
  lastDay = 0;
  attributed = false;
  unattributedKey = '';
  resource: ResourceEntry | undefined = undefined;
  tags: { raw: Buffer; values: Record<string, string> } | null = null;
  sameTags = false;
}

/**
 * The largest cost one row may carry: $1e15, beyond any real bill line (a year of the largest
 * cloud contracts is under $1e11). Bounded per row, sums cannot overflow what ClickHouse adds
 * them in (Decimal128(10): +/-1.7e28, i.e. ten trillion rows at the bound), and a 1e27 typo is
 * refused with its line and column instead of failing the whole import.
 */
const MAX_ROW_COST = 1e15;
const MAX_ROW_COST_TEXT = '1e15';

const USD = Buffer.from('USD');
const CATEGORY_BYTES = CHARGE_CATEGORIES.map((name) => Buffer.from(name));
/** The longest charge period split over days; a 3-year commitment is the longest FOCUS knows. */
const MAX_PERIOD_MS = 1100 * DAY_MS;
const TIMESTAMP_HINT = 'not a timestamp (YYYY-MM-DDTHH:mm:ssZ or YYYY-MM-DD HH:mm:ss, UTC)';

export interface AccumulatorOptions {
  organizationId: string;
  costColumn: FocusCostColumn;
  /** Refused rows kept with their reason; the rest are only counted. */
  maxErrors?: number;
}

/**
 * Turns FOCUS records into per-(resource, UTC day, billing period, charge category) totals.
 * Rows are validated whole before anything is kept, so a refused row leaves no trace. Memory:
 * one entry per distinct resource and per pending charge total (the caller drains those with
 * `takeCharges` whenever `pendingCharges` passes its bound), never per row.
 */
export class FocusChargeAccumulator {
  readonly errors: FocusRowError[] = [];
  rowsRead = 0;
  rowsImported = 0;
  rowsRefused = 0;
  private totalCost = 0;
  private totalCompensation = 0;
  private file = '';
  private files = 0;
  private columns: FocusColumns | null = null;
  /**
   * Where the current row is in the import: `base` + its line. A resource's (and an account's)
   * dimensions come from the first row in this order that has them, so worker threads reading
   * different blocks agree with a one-thread read: their positions are block index x 2^32 + line
   * within the block, a one-thread read's file index x 2^32 + line.
   */
  private base = 0;
  private position = 0;
  private readonly maxErrors: number;
  /** By the bytes of ProviderName, BillingAccountId and SubAccountId. */
  private readonly rowAccounts = new ByteKeyMap<RowAccount>();
  private readonly accountsById = new Map<string, AccountEntry>();
  private readonly resourceList: ResourceEntry[] = [];
  private readonly periodList: BillingPeriod[] = [];
  private readonly periodIndex = new Map<string, number>();
  // Charge totals by numeric key, in typed arrays: adding a row's cost allocates nothing.
  private readonly charges = new SumsByKey();
  private readonly chargeStarts = new TimestampReader();
  private readonly chargeEnds = new TimestampReader();
  private readonly billingStarts = new TimestampReader();
  private minDay = Number.POSITIVE_INFINITY;
  private maxDay = Number.NEGATIVE_INFINITY;
  /** What the readers of `add` found in the current row (one object, reused: no allocation per row). */
  private readonly row = new RowScratch();

  constructor(private readonly options: AccumulatorOptions) {
    this.maxErrors = options.maxErrors ?? 100;
  }

  /** Starts reading another file (its header already resolved). */
  startFile(file: string, columns: FocusColumns): void {
    this.file = file;
    this.columns = columns;
    this.base = this.files++ * POSITION_STRIDE;
  }

  /** A worker thread starts a block: `index` counts blocks over the whole import, in file order. */
  startBlock(index: number): void {
    this.base = index * POSITION_STRIDE;
  }

  /** Charge totals held in memory, not yet taken. */
  get pendingCharges(): number {
    return this.charges.size;
  }

  /** Takes (and forgets) the charge totals held so far. */
  takeCharges(): StagedCharge[] {
    const rows = chargeRows(this.charges, this.resourceList, this.periodList);
    this.charges.clear();
    return rows;
  }

  /**
   * Takes (and forgets) the charge totals as two typed arrays, keys (`chargeKey` of this
   * accumulator's resource and billing period indexes, those of `summary()`) and sums: what a
   * worker thread hands back at the end, copied between threads as two memory blocks.
   */
  takeChargeArrays(): { keys: Float64Array; sums: Float64Array } {
    const arrays = this.charges.toArrays();
    this.charges.clear();
    return arrays;
  }

  /** What was read, for the report and the commit (several readers' summaries merge with `mergeSummaries`). */
  summary(): AccumulatorSummary {
    return {
      rowsRead: this.rowsRead,
      rowsImported: this.rowsImported,
      rowsRefused: this.rowsRefused,
      totalCost: this.totalCost,
      minDay: this.minDay,
      maxDay: this.maxDay,
      accounts: this.accounts(),
      resources: this.resources(),
      billingPeriods: this.billingPeriods(),
    };
  }

  /** Every resource seen, with its dimensions and first/last day. */
  resources(): SummaryResource[] {
    return this.resourceList.map((r) => ({
      missing: r.missing,
      id: r.id,
      organizationId: this.options.organizationId,
      cloudAccountId: r.account.id,
      cloudResourceId: r.cloudResourceId,
      name: r.name,
      resourceType: r.resourceType,
      region: r.region,
      service: r.service,
      serviceCategory: r.serviceCategory,
      owner: '',
      tags: r.tags,
      tagsAt: r.tagsAt,
      tagsText: r.tagsRaw ? r.tagsRaw.toString('latin1') : '',
      at: r.at,
      dimsAt: [...r.dimsAt],
      firstSeen: dayToIso(r.firstDay),
      lastSeen: dayToIso(r.lastDay),
    }));
  }

  accounts(): FocusAccount[] {
    return [...this.accountsById.values()].map(({ id, type, accountRef, name, at }) => ({
      id,
      type,
      accountRef,
      name,
      at,
    }));
  }

  billingPeriods(): BillingPeriod[] {
    return [...this.periodList];
  }

  /** Reads one data record: keeps its charge or records why it was refused. */
  add(r: CsvRecord): void {
    this.rowsRead++;
    this.position = this.base + r.line;
    const c = this.columns as FocusColumns;
    if (r.malformed !== null) return this.refuse(r.line, null, r.malformed, null);
    if (r.count !== c.count) {
      return this.refuse(r.line, null, `has ${r.count} fields; the header has ${c.count}`, null);
    }
    // Validated whole before anything is kept: a refused row leaves no trace.
    if (!this.readAccountRef(r, c) || !this.readCharge(r, c)) return;
    this.findResource(r, c);
    if (!this.readTags(r, c)) return;
    const row = this.row;
    if (row.lastDay >= MAX_DAY || row.billingDay >= MAX_DAY) {
      return this.refuse(r.line, 'ChargePeriodEnd', 'later than the year 2148', r.text(c.ChargePeriodEnd));
    }
    this.keep(r, c);
  }

  /** ProviderName and BillingAccountId present; the row's account, if already known. */
  private readAccountRef(r: CsvRecord, c: FocusColumns): boolean {
    if (r.isNull(c.ProviderName)) return this.refused(r.line, 'ProviderName', 'is empty', null);
    if (r.isNull(c.BillingAccountId)) return this.refused(r.line, 'BillingAccountId', 'is empty', null);
    const row = this.row;
    row.hasSub = c.SubAccountId >= 0 && !r.isNull(c.SubAccountId);
    row.ps = r.starts[c.ProviderName] as number;
    row.pe = r.ends[c.ProviderName] as number;
    row.bs = r.starts[c.BillingAccountId] as number;
    row.be = r.ends[c.BillingAccountId] as number;
    row.ss = row.hasSub ? (r.starts[c.SubAccountId] as number) : 0;
    row.se = row.hasSub ? (r.ends[c.SubAccountId] as number) : 0;
    row.account = this.rowAccounts.get(r.buf, row.ps, row.pe, row.bs, row.be, row.ss, row.se);
    return true;
  }

  /** Currency, charge category, cost, charge period and billing period of the row. */
  private readCharge(r: CsvRecord, c: FocusColumns): boolean {
    const { buf, starts, ends } = r;
    const row = this.row;
    if (!r.equals(c.BillingCurrency, USD)) {
      const currency = r.isNull(c.BillingCurrency) ? '' : r.text(c.BillingCurrency);
      const reason = /^[A-Z]{3}$/.test(currency)
        ? `${currency} is not USD: this import keeps US dollars only and converts no currency`
        : 'not an ISO 4217 currency code';
      return this.refused(r.line, 'BillingCurrency', reason, currency);
    }

    row.category = -1;
    for (let k = 0; k < CATEGORY_BYTES.length; k++) {
      if (r.equals(c.ChargeCategory, CATEGORY_BYTES[k] as Buffer)) {
        row.category = k;
        break;
      }
    }
    if (row.category < 0) {
      return this.refused(
        r.line,
        'ChargeCategory',
        `not a FOCUS charge category (${CHARGE_CATEGORIES.join(', ')})`,
        r.text(c.ChargeCategory),
      );
    }

    const costColumn = this.options.costColumn === 'BILLED' ? c.BilledCost : c.EffectiveCost;
    const costName = this.options.costColumn === 'BILLED' ? 'BilledCost' : 'EffectiveCost';
    if (r.isNull(costColumn)) return this.refused(r.line, costName, 'is empty', r.text(costColumn));
    row.cost = readDecimal(buf, starts[costColumn] as number, ends[costColumn] as number);
    if (!Number.isFinite(row.cost)) return this.refused(r.line, costName, 'not a number', r.text(costColumn));
    if (Math.abs(row.cost) > MAX_ROW_COST) {
      return this.refused(
        r.line,
        costName,
        `beyond +/-${MAX_ROW_COST_TEXT} US dollars for one row`,
        r.text(costColumn),
      );
    }

    const start = this.chargeStarts.read(
      buf,
      starts[c.ChargePeriodStart] as number,
      ends[c.ChargePeriodStart] as number,
    );
    if (Number.isNaN(start)) {
      return this.refused(r.line, 'ChargePeriodStart', TIMESTAMP_HINT, r.text(c.ChargePeriodStart));
    }
    const end = this.chargeEnds.read(
      buf,
      starts[c.ChargePeriodEnd] as number,
      ends[c.ChargePeriodEnd] as number,
    );
    if (Number.isNaN(end))
      return this.refused(r.line, 'ChargePeriodEnd', TIMESTAMP_HINT, r.text(c.ChargePeriodEnd));
    if (end < start) {
      return this.refused(
        r.line,
        'ChargePeriodEnd',
        'is before ChargePeriodStart',
        r.text(c.ChargePeriodEnd),
      );
    }
    if (end - start > MAX_PERIOD_MS) {
      return this.refused(
        r.line,
        'ChargePeriodEnd',
        'the charge period is longer than 1100 days',
        r.text(c.ChargePeriodEnd),
      );
    }
    const billingStart = this.billingStarts.read(
      buf,
      starts[c.BillingPeriodStart] as number,
      ends[c.BillingPeriodStart] as number,
    );
    if (Number.isNaN(billingStart)) {
      return this.refused(r.line, 'BillingPeriodStart', TIMESTAMP_HINT, r.text(c.BillingPeriodStart));
    }
    row.start = start;
    row.end = end;
    row.billingDay = Math.floor(billingStart / DAY_MS);
    row.firstDay = Math.floor(start / DAY_MS);
    row.lastDay = end > start ? Math.floor((end - 1) / DAY_MS) : row.firstDay;
    return true;
  }

  /** The row's resource, if known: by ResourceId, or one "unattributed" per (account, service, region). */
  private findResource(r: CsvRecord, c: FocusColumns): void {
    const row = this.row;
    row.attributed = c.ResourceId >= 0 && !r.isNull(c.ResourceId);
    row.rs = r.starts[c.ResourceId] as number;
    row.re = r.ends[c.ResourceId] as number;
    row.unattributedKey = '';
    if (row.attributed) {
      row.resource = row.account?.account.resources.get(r.buf, row.rs, row.re);
    } else {
      row.unattributedKey = `${this.optionalText(r, c.ServiceName)}\u0000${this.optionalText(r, c.RegionId)}`;
      row.resource = row.account?.account.unattributed.get(row.unattributedKey);
    }
  }

  /** Tags are parsed (and so checked) once per distinct text a resource shows. */
  private readTags(r: CsvRecord, c: FocusColumns): boolean {
    const row = this.row;
    const resource = row.resource;
    row.tags = null;
    row.sameTags = false;
    if (c.Tags < 0 || r.isNull(c.Tags)) return true;
    if (resource && sameBytes(resource.tagsRaw, r, c.Tags)) {
      row.sameTags = true;
    } else if (resource && sameBytes(resource.checkedRaw, r, c.Tags)) {
      row.tags = { raw: resource.checkedRaw as Buffer, values: resource.checkedTags };
    } else {
      const text = r.text(c.Tags);
      try {
        row.tags = {
          raw: Buffer.from(r.buf.subarray(r.starts[c.Tags], r.ends[c.Tags])),
          values: parseTags(text),
        };
      } catch (error) {
        return this.refused(r.line, 'Tags', (error as Error).message, text);
      }
    }
    return true;
  }

  /** Keeps a valid row: its account, resource, tags, billing period and charge. */
  private keep(r: CsvRecord, c: FocusColumns): void {
    const row = this.row;
    let rowAccount = row.account;
    let resource = row.resource;
    if (!rowAccount) {
      if (this.rowAccounts.size >= 100_000) {
        throw badInput('file', 'more than 100000 distinct billing/sub account pairs in one import');
      }
      const subAccountId = row.hasSub ? r.text(c.SubAccountId) : '';
      rowAccount = this.createRowAccount(
        r,
        c,
        r.text(c.ProviderName),
        r.text(c.BillingAccountId),
        subAccountId,
      );
      this.rowAccounts.set(r.buf, row.ps, row.pe, row.bs, row.be, row.ss, row.se, rowAccount);
      resource = row.attributed
        ? rowAccount.account.resources.get(r.buf, row.rs, row.re)
        : rowAccount.account.unattributed.get(row.unattributedKey);
    }
    if (!resource) {
      resource = this.createResource(r, c, rowAccount.account, row.attributed, row.unattributedKey);
    } else if (resource.missing !== 0) {
      this.fillMissing(r, c, resource, row.attributed);
    }
    this.applyTags(resource);
    const period = this.periodOf(rowAccount, row.billingDay);
    const { start, end, cost, category, firstDay, lastDay } = row;
    const index = resource.index;
    if (firstDay === lastDay) {
      this.charges.add(chargeKey(index, firstDay, category, period), cost);
    } else {
      splitByUtcDay(start, end, cost, (day, piece) => {
        this.charges.add(chargeKey(index, day, category, period), piece);
      });
    }
    if (firstDay < resource.firstDay) resource.firstDay = firstDay;
    if (lastDay > resource.lastDay) resource.lastDay = lastDay;
    if (firstDay < this.minDay) this.minDay = firstDay;
    if (lastDay > this.maxDay) this.maxDay = lastDay;
    this.rowsImported++;
    // Kahan summation: the report's total matches the bill to the cent over millions of rows.
    const y = cost - this.totalCompensation;
    const t = this.totalCost + y;
    this.totalCompensation = t - this.totalCost - y;
    this.totalCost = t;
  }

  /**
   * A resource's tags are those of its latest charge: the same whatever order rows come in, and
   * whichever worker thread read them.
   */
  private applyTags(resource: ResourceEntry): void {
    const { tags, sameTags, start } = this.row;
    if (sameTags) {
      if (start > resource.tagsAt) resource.tagsAt = start;
      return;
    }
    if (!tags) return;
    if (
      resource.tagsRaw === null ||
      start > resource.tagsAt ||
      (start === resource.tagsAt && Buffer.compare(tags.raw, resource.tagsRaw) > 0)
    ) {
      if (resource.tagsRaw !== null) {
        resource.checkedRaw = resource.tagsRaw;
        resource.checkedTags = resource.tags;
      }
      resource.tagsRaw = tags.raw;
      resource.tags = tags.values;
      resource.tagsAt = start;
    } else {
      resource.checkedRaw = tags.raw;
      resource.checkedTags = tags.values;
    }
  }

  /** The index of the billing period starting on `billingDay` of the row's billing account. */
  private periodOf(rowAccount: RowAccount, billingDay: number): number {
    let period = rowAccount.periods.get(billingDay);
    if (period !== undefined) return period;
    const key = `${rowAccount.billingAccountRef}\u0000${billingDay}`;
    period = this.periodIndex.get(key);
    if (period === undefined) {
      period = this.periodList.length;
      if (period >= MAX_PERIODS)
        throw badInput('file', `more than ${MAX_PERIODS} billing periods in one import`);
      this.periodList.push({ billingAccount: rowAccount.billingAccountRef, start: dayToIso(billingDay) });
      this.periodIndex.set(key, period);
    }
    rowAccount.periods.set(billingDay, period);
    return period;
  }

  /** `refuse`, answering false: `return this.refused(...)` in the readers. */
  private refused(line: number, column: string | null, reason: string, value: string | null): false {
    this.refuse(line, column, reason, value);
    return false;
  }

  /** Records a row that could not be read: the whole file is not refused for it. */
  refuse(line: number, column: string | null, reason: string, value: string | null): void {
    this.rowsRefused++;
    if (this.errors.length < this.maxErrors) {
      this.errors.push({
        file: this.file,
        line,
        column,
        reason,
        value: value === null ? null : value.length > 200 ? `${value.slice(0, 200)}...` : value,
      });
    }
  }

  private optionalText(r: CsvRecord, column: number): string {
    return column >= 0 && !r.isNull(column) ? r.text(column) : '';
  }

  private createRowAccount(
    r: CsvRecord,
    c: FocusColumns,
    providerName: string,
    billingAccountId: string,
    subAccountId: string,
  ): RowAccount {
    const provider = providerOf(providerName);
    const accountRef = subAccountId || billingAccountId;
    const id = stableId('account', this.options.organizationId, provider.key, accountRef);
    let account = this.accountsById.get(id);
    if (!account) {
      const name = subAccountId
        ? this.optionalText(r, c.SubAccountName)
        : this.optionalText(r, c.BillingAccountName);
      account = {
        id,
        type: provider.type,
        accountRef,
        name: name || accountRef,
        at: this.position,
        providerKey: provider.key,
        resources: new ByteKeyMap(),
        unattributed: new Map(),
      };
      this.accountsById.set(id, account);
    }
    return { account, billingAccountRef: `${provider.key}:${billingAccountId}`, periods: new Map() };
  }

  private createResource(
    r: CsvRecord,
    c: FocusColumns,
    account: AccountEntry,
    attributed: boolean,
    unattributedKey: string,
  ): ResourceEntry {
    const resourceRef = attributed ? r.text(c.ResourceId) : '';
    if (this.resourceList.length >= MAX_RESOURCES) {
      throw badInput('file', `more than ${MAX_RESOURCES} distinct resources in one import`);
    }
    const service = this.optionalText(r, c.ServiceName);
    const region = this.optionalText(r, c.RegionId);
    const name = attributed ? this.optionalText(r, c.ResourceName) : '';
    const type = attributed ? this.optionalText(r, c.ResourceType) : '';
    const category = this.optionalText(r, c.ServiceCategory);
    const at = this.position;
    const resource: ResourceEntry = {
      index: this.resourceList.length,
      at,
      dimsAt: [at, at, at, at],
      id: attributed
        ? stableId('resource', account.id, resourceRef)
        : stableId('unattributed', account.id, service, region),
      account,
      cloudAccountId: account.id,
      cloudResourceId: resourceRef,
      name: attributed ? name || resourceRef : `${service || 'Charges'} (unattributed)`,
      resourceType: type || service,
      region,
      service,
      serviceCategory: category,
      tags: {},
      tagsRaw: null,
      tagsAt: Number.NEGATIVE_INFINITY,
      checkedRaw: null,
      checkedTags: {},
      firstDay: Number.POSITIVE_INFINITY,
      lastDay: Number.NEGATIVE_INFINITY,
      missing:
        (attributed && !name ? NO_NAME : 0) |
        (attributed && !type ? NO_TYPE : 0) |
        (!region ? NO_REGION : 0) |
        (!category ? NO_CATEGORY : 0),
    };
    this.resourceList.push(resource);
    if (attributed) {
      account.resources.set(
        r.buf,
        r.starts[c.ResourceId] as number,
        r.ends[c.ResourceId] as number,
        0,
        0,
        0,
        0,
        resource,
      );
    } else account.unattributed.set(unattributedKey, resource);
    return resource;
  }

  /** A later row may name what the first one left empty (ResourceName is often set on some rows only). */
  private fillMissing(r: CsvRecord, c: FocusColumns, resource: ResourceEntry, attributed: boolean): void {
    if (resource.missing & NO_NAME && c.ResourceName >= 0 && !r.isNull(c.ResourceName)) {
      resource.name = r.text(c.ResourceName);
      resource.missing &= ~NO_NAME;
      resource.dimsAt[0] = this.position;
    }
    if (resource.missing & NO_TYPE && c.ResourceType >= 0 && !r.isNull(c.ResourceType)) {
      resource.resourceType = r.text(c.ResourceType);
      resource.missing &= ~NO_TYPE;
      resource.dimsAt[1] = this.position;
    }
    if (attributed && resource.missing & NO_REGION && c.RegionId >= 0 && !r.isNull(c.RegionId)) {
      resource.region = r.text(c.RegionId);
      resource.missing &= ~NO_REGION;
      resource.dimsAt[2] = this.position;
    }
    if (resource.missing & NO_CATEGORY && c.ServiceCategory >= 0 && !r.isNull(c.ServiceCategory)) {
      resource.serviceCategory = r.text(c.ServiceCategory);
      resource.missing &= ~NO_CATEGORY;
      resource.dimsAt[3] = this.position;
    }
  }
}

function sameBytes(known: Buffer | null, r: CsvRecord, column: number): boolean {
  if (known === null) return false;
  const s = r.starts[column] as number;
  const e = r.ends[column] as number;
  return known.length === e - s && r.buf.compare(known, 0, known.length, s, e) === 0;
}
