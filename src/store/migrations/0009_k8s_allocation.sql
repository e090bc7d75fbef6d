-- Workload allocation (issue 10): what each container, pod, namespace and controller of a
-- cluster cost, day by day.

-- One row per (cluster, day, run version, namespace, controller, pod, container, node, volume)
-- at metric prices; the bill's correction is applied when read (k8s_allocation_runs). Container
-- rows carry cpu/ram/gpu and their hours; pod rows carry a claimed volume's storage (volume set)
-- or the pod's network; namespace rows (pod '') a load balancer; bucket rows hold what belongs
-- to no workload: __idle__ (per node), __unmounted__ (per volume), __overhead__ (per cluster).
-- Each run of a cluster-day writes a complete new version and then points
-- k8s_allocation_runs at it, so a retried or repeated run never counts a container twice; older
-- versions are deleted after the switch and are never read.
-- Sized for 6,000 containers x 365 days x 50 clusters (110 M rows): ordered by tenant and day
-- first, so a report reads only its organization's days; dimension strings are dictionary
-- encoded (LowCardinality) and the sums compress well.
CREATE TABLE IF NOT EXISTS {db:Identifier}.k8s_allocations
(
    organization_id         LowCardinality(String),
    cloud_account_id        LowCardinality(String),
    date                    Date,
    version                 UInt64,
    bucket                  LowCardinality(String),
    namespace               LowCardinality(String),
    controller_kind         LowCardinality(String),
    controller              LowCardinality(String),
    pod                     String,
    container               LowCardinality(String),
    node                    LowCardinality(String),
    volume                  LowCardinality(String),
    labels                  Map(LowCardinality(String), String),
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
ORDER BY (organization_id, date, cloud_account_id, version, namespace, controller, pod, container);

-- The live version of each cluster-day's allocation and the bill's correction of it: per node, the
-- factor reconciliation scaled its cpu + ram + gpu by (billed / metric price), per volume
-- likewise, and bills of nodes or volumes that had no metric price at all (added to idle and
-- unmounted). Rewritten by every run and every reconciliation; the newest row wins.
CREATE TABLE IF NOT EXISTS {db:Identifier}.k8s_allocation_runs
(
    organization_id  LowCardinality(String),
    cloud_account_id LowCardinality(String),
    date             Date,
    version          UInt64,
    node_factors     Map(String, Float64),
    volume_factors   Map(String, Float64),
    extra_idle       Float64,
    extra_unmounted  Float64,
    updated_at       DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
PARTITION BY toYYYYMM(date)
ORDER BY (organization_id, cloud_account_id, date);
