import type { ExpenseReader, LastExpense } from '../domain/ports';
import type {
  BreakdownDimension,
  DayRange,
  ExpenseFilter,
  ExpenseOrderField,
  ExpenseRow,
  ExpensePage,
  K8sCostBreakdown,
  Provider,
  SortDirection,
} from '../domain/model';
import { eachDay } from '../domain/days';
import { sumDecimals, toUnits, unitsToNumber } from '../domain/money';
import { badInput } from '../errors';
import { previousRange, validateRange } from './ranges';

/** Largest page `expenses(first:)` serves. */
export const MAX_PAGE_SIZE = 1000;

export interface ExpenseListInput {
  range: DayRange;
  filter?: ExpenseFilter;
  orderBy?: { field: ExpenseOrderField; direction: SortDirection };
  first?: number;
  after?: string;
}

export interface ExpenseConnectionResult extends ExpensePage {
  range: DayRange;
  cursors: string[];
  endCursor: string | null;
}

export interface BreakdownResult {
  range: DayRange;
  previousRange: DayRange;
  by: BreakdownDimension;
  tagKey: string | null;
  days: { date: string; total: number; items: { key: string; name: string; cost: number }[] }[];
  totals: { key: string; name: string; total: number; previousTotal: number }[];
  total: number;
  previousTotal: number;
}

export interface CostSummaryResult {
  range: DayRange;
  previousRange: DayRange;
  total: number;
  previousTotal: number;
  byProvider: { provider: Provider; cost: number; previousCost: number }[];
}

interface CursorPayload {
  f: ExpenseOrderField;
  d: SortDirection;
  v: string;
  id: string;
}

/** Expense lists, breakdowns and summaries for one organization; all heavy work is in SQL. */
export class ExpenseService {
  constructor(private readonly reader: ExpenseReader) {}

  async list(organizationId: string, input: ExpenseListInput): Promise<ExpenseConnectionResult> {
    const range = validateRange(input.range);
    const filter = validateFilter(input.filter ?? {});
    const orderBy = input.orderBy ?? { field: 'COST', direction: 'DESC' };
    const first = input.first ?? 50;
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
      throw badInput('first', `must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    let after: { value: string; resourceId: string } | undefined;
    if (input.after !== undefined && input.after !== null) {
      const cursor = decodeCursor(input.after);
      if (cursor.f !== orderBy.field || cursor.d !== orderBy.direction) {
        throw badInput('after', 'the cursor was issued for a different orderBy');
      }
      after = { value: cursor.v, resourceId: cursor.id };
    }
    const page = await this.reader.list({ organizationId, range, filter, orderBy, first, after });
    const cursors = page.rows.map((row) =>
      encodeCursor({ f: orderBy.field, d: orderBy.direction, v: row.sortKey, id: row.resourceId }),
    );
    return { ...page, range, cursors, endCursor: cursors.at(-1) ?? null };
  }

  /** These resources' rows over the range (for fields that link to an expense), by resource id. */
  async byResourceIds(
    organizationId: string,
    ids: readonly string[],
    range: DayRange,
  ): Promise<Map<string, ExpenseRow>> {
    const found = new Map<string, ExpenseRow>();
    for (let i = 0; i < ids.length; i += MAX_PAGE_SIZE) {
      const chunk = ids.slice(i, i + MAX_PAGE_SIZE);
      const page = await this.list(organizationId, {
        range,
        filter: { resourceIds: chunk },
        first: chunk.length,
      });
      for (const row of page.rows) found.set(row.resourceId, row);
    }
    return found;
  }

  async breakdown(
    organizationId: string,
    input: { range: DayRange; by: BreakdownDimension; tagKey?: string | null; filter?: ExpenseFilter },
  ): Promise<BreakdownResult> {
    const range = validateRange(input.range);
    const filter = validateFilter(input.filter ?? {});
    const tagKey = validateTagKey(input.by, input.tagKey);
    const previous = previousRange(range);
    const cells = await this.reader.breakdown(
      organizationId,
      previous.start,
      range.end,
      input.by,
      tagKey,
      filter,
    );

    // Keys are gathered from both periods, so a key present in only one of them gets a 0 on the
    // other side instead of breaking the response (the KeyError of the original breakdown).
    const keys = new Map<string, { name: string; current: bigint; previous: bigint }>();
    const byDay = new Map<string, { key: string; name: string; cost: string }[]>();
    for (const cell of cells) {
      const entry = keys.get(cell.key) ?? { name: cell.name, current: 0n, previous: 0n };
      if (cell.date >= range.start) {
        entry.current += toUnits(cell.cost);
        const items = byDay.get(cell.date) ?? [];
        items.push(cell);
        byDay.set(cell.date, items);
      } else {
        entry.previous += toUnits(cell.cost);
      }
      if (cell.date >= range.start || !keys.has(cell.key)) entry.name = cell.name;
      keys.set(cell.key, entry);
    }
    const days = eachDay(range.start, range.end).map((date) => {
      const items = (byDay.get(date) ?? [])
        .map((item) => ({ key: item.key, name: displayName(item.name), cost: sumDecimals([item.cost]) }))
        .sort((a, b) => b.cost - a.cost || compare(a.key, b.key));
      return { date, total: sumDecimals((byDay.get(date) ?? []).map((item) => item.cost)), items };
    });
    const totals = [...keys.entries()]
      .map(([key, entry]) => ({
        key,
        name: displayName(entry.name),
        total: unitsToNumber(entry.current),
        previousTotal: unitsToNumber(entry.previous),
      }))
      .sort((a, b) => b.total - a.total || b.previousTotal - a.previousTotal || compare(a.key, b.key));
    let total = 0n;
    let previousTotal = 0n;
    for (const entry of keys.values()) {
      total += entry.current;
      previousTotal += entry.previous;
    }
    return {
      range,
      previousRange: previous,
      by: input.by,
      tagKey: tagKey ?? null,
      days,
      totals,
      total: unitsToNumber(total),
      previousTotal: unitsToNumber(previousTotal),
    };
  }

  async summary(
    organizationId: string,
    input: { range: DayRange; filter?: ExpenseFilter },
  ): Promise<CostSummaryResult> {
    const range = validateRange(input.range);
    const filter = validateFilter(input.filter ?? {});
    const previous = previousRange(range);
    const rows = await this.reader.summary(organizationId, range, previous, filter);
    return {
      range,
      previousRange: previous,
      total: sumDecimals(rows.map((row) => row.current)),
      previousTotal: sumDecimals(rows.map((row) => row.previous)),
      byProvider: rows
        .map((row) => ({
          provider: row.provider,
          cost: sumDecimals([row.current]),
          previousCost: sumDecimals([row.previous]),
        }))
        .sort((a, b) => b.cost - a.cost || compare(a.provider, b.provider)),
    };
  }

  /** Newest day with a cost (up to `upTo`) per resource; for DataLoader batches. */
  async lastExpenses(
    organizationId: string,
    resourceIds: readonly string[],
    upTo: string,
  ): Promise<Map<string, LastExpense>> {
    return this.reader.lastExpenses(organizationId, resourceIds, upTo);
  }

  /**
   * Cost per day of each resource over the range, one entry per day (0 where nothing was spent),
   * for the expense table's sparklines; for DataLoader batches.
   */
  async dailyCosts(
    organizationId: string,
    resourceIds: readonly string[],
    range: DayRange,
  ): Promise<Map<string, { date: string; cost: number }[]>> {
    const found = await this.reader.dailyCosts(organizationId, resourceIds, range);
    const days = eachDay(range.start, range.end);
    return new Map(
      resourceIds.map((id) => {
        const byDay = new Map((found.get(id) ?? []).map((d) => [d.date, d.cost]));
        return [id, days.map((date) => ({ date, cost: byDay.get(date) ?? 0 }))];
      }),
    );
  }

  /** Summed Kubernetes breakdown per cluster resource; for DataLoader batches. */
  async k8sCosts(
    organizationId: string,
    resourceIds: readonly string[],
    range: DayRange,
  ): Promise<Map<string, K8sCostBreakdown>> {
    return this.reader.k8sCosts(organizationId, resourceIds, range);
  }
}

/** Tag conditions one filter may carry: each is a condition in SQL, and no report needs more. */
const MAX_TAG_FILTERS = 50;

export function validateFilter(filter: ExpenseFilter): ExpenseFilter {
  if (filter.tags && filter.tags.length > MAX_TAG_FILTERS)
    throw badInput('filter.tags', `at most ${MAX_TAG_FILTERS} tags, got ${filter.tags.length}`);
  (filter.tags ?? []).forEach((tag, i) => {
    if (!tag.key) throw badInput(`filter.tags[${i}].key`, 'must not be empty');
  });
  const lists = [
    'cloudAccountIds',
    'k8sClusterIds',
    'providers',
    'resourceTypes',
    'regions',
    'services',
    'owners',
  ] as const;
  for (const name of lists) {
    const values = filter[name];
    if (values && values.length > 1000) throw badInput(`filter.${name}`, 'at most 1000 values');
  }
  return filter;
}

/** The tag key a split by TAG needs, and only that split: undefined when there is none. */
export function validateTagKey(
  by: BreakdownDimension,
  tagKey: string | null | undefined,
): string | undefined {
  const key = tagKey ?? undefined;
  if (by === 'TAG' && !key) throw badInput('tagKey', 'is required when by is TAG');
  if (by !== 'TAG' && key) throw badInput('tagKey', 'is only allowed when by is TAG');
  return key;
}

/** How a dimension value reads: "(none)" when unset. */
export function displayName(name: string): string {
  return name === '' ? '(none)' : name;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeCursor(payload: CursorPayload): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

function decodeCursor(text: string): CursorPayload {
  try {
    const payload = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<CursorPayload>;
    const valid =
      (payload.f === 'COST' || payload.f === 'NAME') &&
      (payload.d === 'ASC' || payload.d === 'DESC') &&
      typeof payload.v === 'string' &&
      typeof payload.id === 'string' &&
      // A cost as the API writes it: what Decimal128(10) holds (28 integer digits), far fewer here.
      (payload.f !== 'COST' || /^-?\d{1,20}(\.\d{1,10})?$/.test(payload.v));
    if (valid) return payload as CursorPayload;
  } catch {
    // fall through to the error below
  }
  throw badInput('after', 'is not a cursor this API issued');
}
