-- Budgets, their fired alerts and every attempt to deliver one (issue 14).

-- One row per version of a budget; the newest (by updated_at) is the budget, deleted = 1 ends it.
CREATE TABLE IF NOT EXISTS {db:Identifier}.budgets
(
    organization_id LowCardinality(String),
    id              String,
    name            String,
    amount          Float64,
    period          LowCardinality(String),
    filter          String,
    thresholds      String,
    webhook_url     String,
    deleted         UInt8,
    created_at      DateTime64(3, 'UTC'),
    updated_at      DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (organization_id, id);

-- A threshold crossed in a period. Its id is derived from (budget, period, threshold), so a
-- second insert of the same alert is the same row, and FINAL keeps one.
CREATE TABLE IF NOT EXISTS {db:Identifier}.budget_alerts
(
    organization_id   LowCardinality(String),
    id                String,
    budget_id         String,
    budget_name       String,
    threshold_percent Float64,
    threshold_basis   LowCardinality(String),
    period_start      Date,
    period_end        Date,
    amount            Float64,
    spent             Float64,
    forecast          Float64,
    fired_at          DateTime64(3, 'UTC'),
    payload           String
)
ENGINE = ReplacingMergeTree
ORDER BY (organization_id, id);

CREATE TABLE IF NOT EXISTS {db:Identifier}.budget_alert_deliveries
(
    organization_id LowCardinality(String),
    alert_id        String,
    attempt         UInt32,
    at              DateTime64(3, 'UTC'),
    ok              UInt8,
    status          UInt16,
    error           String,
    duration_ms     UInt32
)
ENGINE = MergeTree
ORDER BY (organization_id, alert_id, at);
