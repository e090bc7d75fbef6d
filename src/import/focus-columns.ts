/**
 * The FOCUS columns the import reads. The mandatory ones are Mandatory in FOCUS 1.0, 1.1 and 1.2
 * alike and a file without any of them is refused whole; the others are Conditional in the spec
 * (a provider without sub accounts, resources or tags leaves them out) and read when present.
 * Headers are matched by exact name, in any order; other columns (Id, x_ extensions) are ignored.
 */
export const MANDATORY_COLUMNS = [
  'BilledCost',
  'EffectiveCost',
  'BillingCurrency',
  'BillingAccountId',
  'BillingPeriodStart',
  'ChargeCategory',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'ProviderName',
  'ServiceName',
] as const;

export const OPTIONAL_COLUMNS = [
  'BillingAccountName',
  'SubAccountId',
  'SubAccountName',
  'ResourceId',
  'ResourceName',
  'ResourceType',
  'RegionId',
  'ServiceCategory',
  'Tags',
] as const;

type ColumnName = (typeof MANDATORY_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

/** Field index per column; -1 for an optional column the file lacks. */
export type FocusColumns = Record<ColumnName, number> & { count: number };

/**
 * Maps a header row to field indexes, or names the mandatory columns it lacks. FOCUS 1.3 renames
 * ProviderName to ServiceProviderName; a file carrying only the new name is read as well.
 */
export function resolveColumns(header: readonly string[]): { columns: FocusColumns } | { missing: string[] } {
  const index = new Map<string, number>();
  header.forEach((name, i) => {
    const trimmed = name.trim();
    if (!index.has(trimmed)) index.set(trimmed, i);
  });
  if (!index.has('ProviderName') && index.has('ServiceProviderName')) {
    index.set('ProviderName', index.get('ServiceProviderName') as number);
  }
  const missing = MANDATORY_COLUMNS.filter((name) => !index.has(name));
  if (missing.length) return { missing };
  const columns = { count: header.length } as FocusColumns;
  for (const name of [...MANDATORY_COLUMNS, ...OPTIONAL_COLUMNS]) columns[name] = index.get(name) ?? -1;
  return { columns };
}
