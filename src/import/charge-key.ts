import type { StagedCharge } from '../domain/ports';
import { dayToIso } from './day-split';
import { CHARGE_CATEGORIES } from './focus-values';
import type { SumsByKey } from './sums-by-key';

// Charge totals are keyed by one number: ((resource * 2^16 + day) * 2^3 + category) * 2^10 +
// billing period, which stays below 2^53 and so is exact. Numbers hash and compare far faster
// than composite strings in the per-row Map update.
export const MAX_RESOURCES = 2 ** 24;
export const MAX_DAY = 2 ** 16;
export const MAX_PERIODS = 2 ** 10;

/** The numeric key of a charge total (see above). */
export function chargeKey(resource: number, day: number, category: number, period: number): number {
  return ((resource * MAX_DAY + day) * 8 + category) * MAX_PERIODS + period;
}

/** The parts of a `chargeKey`. */
export function splitChargeKey(key: number): {
  resource: number;
  day: number;
  category: number;
  period: number;
} {
  const period = key % MAX_PERIODS;
  let rest = (key - period) / MAX_PERIODS;
  const category = rest % 8;
  rest = (rest - category) / 8;
  const day = rest % MAX_DAY;
  return { resource: (rest - day) / MAX_DAY, day, category, period };
}

/** A billing period of a billing account, as the import reports and stages it. */
export interface BillingPeriod {
  billingAccount: string;
  start: string;
}

/** One string per billing period, to find it in a Map. */
export function periodKey(p: BillingPeriod): string {
  return `${p.billingAccount}\u0000${p.start}`;
}

/** Staging rows for charge totals whose keys index `resources` and `periods`. */
export function chargeRows(
  totals: SumsByKey,
  resources: readonly { id: string; cloudAccountId: string }[],
  periods: readonly BillingPeriod[],
): StagedCharge[] {
  const out: StagedCharge[] = [];
  const dayText = new Map<number, string>();
  totals.forEach((key, cost) => {
    const { resource, day, category, period } = splitChargeKey(key);
    let date = dayText.get(day);
    if (date === undefined) {
      date = dayToIso(day);
      dayText.set(day, date);
    }
    const owner = resources[resource] as { id: string; cloudAccountId: string };
    const billing = periods[period] as BillingPeriod;
    out.push({
      cloudAccountId: owner.cloudAccountId,
      resourceId: owner.id,
      date,
      billingAccountRef: billing.billingAccount,
      billingPeriodStart: billing.start,
      chargeCategory: CHARGE_CATEGORIES[category] as string,
      cost,
    });
  });
  return out;
}
