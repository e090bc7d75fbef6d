-- FOCUS bill imports (cloudtuner import-focus, mutation importFocus).

-- FOCUS ServiceCategory (Compute, Storage, Networking, ...) beside the service name.
ALTER TABLE {db:Identifier}.resources
    ADD COLUMN IF NOT EXISTS service_category LowCardinality(String) DEFAULT '' AFTER service;

-- What each imported expenses row is made of: one row per resource, UTC day, billing period
-- and FOCUS ChargeCategory (Usage, Purchase, Tax, Credit, Adjustment), so credits, taxes and
-- adjustments stay visible and a day's expenses row is the sum of its charges here. Keyed by
-- the billing period too (billing_account_ref is provider-qualified: 'AWS:123456789012'),
-- because one day may be billed in two periods (late charges, corrections) and a re-import of
-- one period must replace only that period's part. Corrected with -1/+1 pairs like expenses.
CREATE TABLE IF NOT EXISTS {db:Identifier}.expense_charges
(
    cloud_account_id     String,
    resource_id          String,
    date                 DateTime('UTC'),
    billing_account_ref  String,
    billing_period_start Date,
    charge_category      LowCardinality(String),
    cost                 Float64,
    sign                 Int8
)
ENGINE = CollapsingMergeTree(sign)
PARTITION BY toYYYYMM(date)
ORDER BY (cloud_account_id, date, resource_id, charge_category, billing_account_ref, billing_period_start);
