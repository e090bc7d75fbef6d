-- Workload allocation by namespace, bill-corrected (issue 10): what `k8sAllocation` by
-- NAMESPACE or CLUSTER reads, so a report over 90 days of 50 clusters of 6,000 containers reads
-- ~40 rows per cluster-day instead of ~6,000.

-- One row per (cluster, day, generation, bucket, namespace): the sums of k8s_allocations' live
-- version with the bill's correction applied. A generation is the `updated_at` of the
-- k8s_allocation_runs row it belongs to: every run and every correction writes its namespaces
-- under a new generation BEFORE the run row that makes it live, so readers (joining on the live
-- run row's updated_at) never see a cluster-day half written; older generations are deleted.
CREATE TABLE IF NOT EXISTS {db:Identifier}.k8s_allocation_namespaces
(
    organization_id         LowCardinality(String),
    cloud_account_id        LowCardinality(String),
    date                    Date,
    generation              DateTime64(6, 'UTC'),
    bucket                  LowCardinality(String),
    namespace               LowCardinality(String),
    cpu_cost                Float64,
    ram_cost                Float64,
    gpu_cost                Float64,
    storage_cost            Float64,
    network_cost            Float64,
    load_balancer_cost      Float64,
    overhead_cost           Float64,
    idle_cpu_cost           Float64,
    idle_ram_cost           Float64,
    idle_gpu_cost           Float64,
    idle_other_cost         Float64,
    cpu_core_hours          Float64,
    ram_byte_hours          Float64,
    gpu_hours               Float64,
    cpu_request_core_hours  Nullable(Float64),
    cpu_usage_core_hours    Nullable(Float64),
    ram_request_byte_hours  Nullable(Float64),
    ram_usage_byte_hours    Nullable(Float64)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(date)
ORDER BY (organization_id, date, cloud_account_id, generation, namespace, bucket);
