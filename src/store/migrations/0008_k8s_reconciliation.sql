-- Reconciliation of cluster costs with the cloud bills (issue 11).

-- A cluster-day at metric prices, node by node and volume by volume: what the day's run computed
-- from the metrics, kept so the day can be reconciled again when a bill arrives, days later or
-- corrected, without querying metrics that may have left retention. One row per cluster-day,
-- replaced by each run (the newest computed_at wins; read with FINAL). `estimate` is JSON
-- {breakdown, nodes, volumes}: a few hundred nodes a day at most, read only whole.
CREATE TABLE IF NOT EXISTS {db:Identifier}.k8s_cost_estimates
(
    cloud_account_id String,
    date             DateTime('UTC'),
    provisional      UInt8,
    estimate         String CODEC(ZSTD(3)),
    computed_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(date)
ORDER BY (cloud_account_id, date);

-- Which billed resource (a cloud VM or disk) is a node or volume of which cluster, for
-- Expense.k8sCluster: written when a cluster-day is reconciled; the newest match wins.
CREATE TABLE IF NOT EXISTS {db:Identifier}.k8s_resource_links
(
    organization_id String,
    resource_id     String,
    cluster_id      String,
    kind            LowCardinality(String),
    last_matched    DateTime('UTC'),
    updated_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (organization_id, resource_id);
