import type { Provider } from '../domain/model';
import type { StagedResource } from '../domain/ports';
import { periodKey, type BillingPeriod } from './charge-key';

/** A cloud account as the import derives it (created in the store only when the import commits). */
export interface FocusAccount {
  id: string;
  type: Provider;
  accountRef: string;
  name: string;
  /** Where in the import the row that named it is (see `FocusChargeAccumulator.position`). */
  at: number;
}

// Bits of `missing`: which dimensions a resource still lacks, to fill from a later row.
export const NO_NAME = 1;
export const NO_TYPE = 2;
export const NO_REGION = 4;
export const NO_CATEGORY = 8;

/** Positions (see `position`) of the rows a resource's name, type, region and category came from. */
export type DimsAt = [name: number, type: number, region: number, category: number];

/**
 * A resource with what merging several readers' summaries needs: the dimensions it still lacks
 * (bits) and when its tags were charged (their raw text as latin1, so it compares like bytes).
 */
export type SummaryResource = StagedResource & {
  missing: number;
  tagsAt: number;
  tagsText: string;
  at: number;
  dimsAt: DimsAt;
};

/** Everything an accumulator learnt except its charge totals (those are taken as they come). */
export interface AccumulatorSummary {
  rowsRead: number;
  rowsImported: number;
  rowsRefused: number;
  totalCost: number;
  /** Day numbers (days since 1970-01-01); +Infinity / -Infinity when no row was taken. */
  minDay: number;
  maxDay: number;
  accounts: FocusAccount[];
  resources: SummaryResource[];
  billingPeriods: BillingPeriod[];
}

/**
 * One summary out of several (worker threads reading blocks of the same files): counts add up,
 * resources with the same id keep the widest first/last seen and the tags of their latest
 * charge; every other dimension of a resource or an account comes from the row that comes first
 * in the import (by position), as in a one-thread read, whichever worker read it.
 */
export function mergeSummaries(parts: readonly AccumulatorSummary[]): AccumulatorSummary {
  const accounts = new Map<string, FocusAccount>();
  const resources = new Map<string, SummaryResource>();
  const periods = new Map<string, BillingPeriod>();
  const merged: AccumulatorSummary = {
    rowsRead: 0,
    rowsImported: 0,
    rowsRefused: 0,
    totalCost: 0,
    minDay: Number.POSITIVE_INFINITY,
    maxDay: Number.NEGATIVE_INFINITY,
    accounts: [],
    resources: [],
    billingPeriods: [],
  };
  for (const part of parts) {
    merged.rowsRead += part.rowsRead;
    merged.rowsImported += part.rowsImported;
    merged.rowsRefused += part.rowsRefused;
    merged.totalCost += part.totalCost;
    merged.minDay = Math.min(merged.minDay, part.minDay);
    merged.maxDay = Math.max(merged.maxDay, part.maxDay);
    for (const account of part.accounts) {
      const known = accounts.get(account.id);
      if (!known || account.at < known.at) accounts.set(account.id, account);
    }
    for (const period of part.billingPeriods) periods.set(periodKey(period), period);
    for (const resource of part.resources) {
      const known = resources.get(resource.id);
      if (!known) {
        resources.set(resource.id, { ...resource, dimsAt: [...resource.dimsAt] });
        continue;
      }
      mergeResource(known, resource);
    }
  }
  merged.accounts = [...accounts.values()];
  merged.resources = [...resources.values()];
  merged.billingPeriods = [...periods.values()];
  return merged;
}

/** The dimensions a later row may fill, in `DimsAt` order, with their `missing` bit. */
const DIMENSIONS = [
  [NO_NAME, 'name'],
  [NO_TYPE, 'resourceType'],
  [NO_REGION, 'region'],
  [NO_CATEGORY, 'serviceCategory'],
] as const;

/** Folds `other` (the same resource, read by another worker) into `known`. */
function mergeResource(known: SummaryResource, other: SummaryResource): void {
  if (other.firstSeen < known.firstSeen) known.firstSeen = other.firstSeen;
  if (other.lastSeen > known.lastSeen) known.lastSeen = other.lastSeen;
  // The creating row gives the service, and the type while no row has named one.
  if (other.at < known.at) {
    known.at = other.at;
    known.service = other.service;
    if (known.missing & NO_TYPE && other.missing & NO_TYPE) known.resourceType = other.resourceType;
  }
  DIMENSIONS.forEach(([bit, field], k) => {
    const at = other.dimsAt[k] as number;
    if ((other.missing & bit) === 0 && ((known.missing & bit) !== 0 || at < (known.dimsAt[k] as number))) {
      known[field] = other[field];
      known.dimsAt[k] = at;
    }
  });
  known.missing &= other.missing;
  if (other.tagsAt > known.tagsAt || (other.tagsAt === known.tagsAt && other.tagsText > known.tagsText)) {
    known.tags = other.tags;
    known.tagsAt = other.tagsAt;
    known.tagsText = other.tagsText;
  }
}
