-- Recent FOCUS imports per organization (the dashboard's Imports view, `focusImports`): one row
-- per import that reached its files, kept 90 days. A failed import is kept with the reason its
-- caller was given; an import that stored nothing still says what it read.
CREATE TABLE IF NOT EXISTS {db:Identifier}.focus_imports
(
    organization_id LowCardinality(String),
    id              String,
    started_at      DateTime64(3, 'UTC'),
    finished_at     DateTime64(3, 'UTC'),
    state           LowCardinality(String),
    files           Array(String),
    cost_column     LowCardinality(String),
    rows_read       UInt64,
    rows_imported   UInt64,
    rows_refused    UInt64,
    total_cost      Float64,
    first_day       Nullable(Date),
    last_day        Nullable(Date),
    error           String
)
ENGINE = MergeTree
ORDER BY (organization_id, started_at, id)
TTL toDateTime(started_at) + INTERVAL 90 DAY;
