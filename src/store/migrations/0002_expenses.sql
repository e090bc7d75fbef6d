-- OptScale-compatible expenses: one row per resource per UTC day. A correction is the old row
-- with sign -1 plus the new row with sign +1; every read sums cost * sign with HAVING sum(sign) > 0.
CREATE TABLE IF NOT EXISTS {db:Identifier}.expenses
(
    cloud_account_id String,
    resource_id      String,
    date             DateTime('UTC'),
    cost             Float64,
    sign             Int8
)
ENGINE = CollapsingMergeTree(sign)
PARTITION BY toYYYYMM(date)
ORDER BY (cloud_account_id, date, resource_id);

-- The Kubernetes breakdown of one cluster-day, keyed like expenses and corrected the same way.
-- total_cost equals the expenses row of that day. network_cost is NULL when no byte counters
-- arrived (unknown, not zero); node_unsplit_cost is node cost charged in full whose cpu/ram/gpu
-- split was impossible (capacity series missing). idle_cost is a part of cpu+ram+gpu, not extra.
CREATE TABLE IF NOT EXISTS {db:Identifier}.k8s_cost_breakdown
(
    cloud_account_id   String,
    resource_id        String,
    date               DateTime('UTC'),
    cpu_cost           Float64,
    ram_cost           Float64,
    gpu_cost           Float64,
    node_unsplit_cost  Float64,
    storage_cost       Float64,
    network_cost       Nullable(Float64),
    load_balancer_cost Float64,
    management_cost    Float64,
    idle_cost          Float64,
    total_cost         Float64,
    provisional        UInt8 COMMENT '1 while the day is still running or not yet final',
    sign               Int8
)
ENGINE = CollapsingMergeTree(sign)
PARTITION BY toYYYYMM(date)
ORDER BY (cloud_account_id, date, resource_id);

-- Resource dimensions beside the expenses, so every filter, sort and join runs in one SQL query.
-- id is the platform's own resource id (what expenses.resource_id holds).
CREATE TABLE IF NOT EXISTS {db:Identifier}.resources
(
    id                String,
    organization_id   String,
    cloud_account_id  String,
    cloud_resource_id String,
    name              String,
    resource_type     LowCardinality(String),
    region            LowCardinality(String),
    service           LowCardinality(String),
    owner             String,
    tags              Map(String, String),
    first_seen        DateTime('UTC'),
    last_seen         DateTime('UTC'),
    updated_at        DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (organization_id, id);
