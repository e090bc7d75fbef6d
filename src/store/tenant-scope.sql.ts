/**
 * How a statement is scoped to one organization (rule 2 of `domain/tenancy.ts`). Every
 * tenant-scoped statement takes the organization as the `{org:String}` parameter and filters
 * with one of these; a statement that does not is one of the global lookups the ports document.
 */

/** Rows of a metadata or `resources` table: `<alias.>organization_id = {org:String}`. */
export function ownedBy(alias?: string): string {
  return `${alias ? `${alias}.` : ''}organization_id = {org:String}`;
}

/**
 * The organization's cloud accounts, deleted ones included (their cost history stays): cost rows
 * (expenses, breakdowns, charges) carry only a cloud account id, so they are scoped with
 * `cloud_account_id IN (${ORG_ACCOUNTS})`.
 */
export const ORG_ACCOUNTS = `SELECT id FROM {db:Identifier}.cloud_accounts FINAL WHERE ${ownedBy()}`;
