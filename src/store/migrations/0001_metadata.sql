-- Organizations, their cloud accounts and API tokens. Small, rarely-changing tables:
-- ReplacingMergeTree keyed by id, read with FINAL, so an update is an insert of a newer version.

CREATE TABLE IF NOT EXISTS {db:Identifier}.organizations
(
    id         String,
    name       String,
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id;

-- type: AWS | AZURE | GCP | KUBERNETES | OTHER. One KUBERNETES account is one cluster; its id is
-- the Cloud-Account-Id the cluster's remote_write is bound to.
CREATE TABLE IF NOT EXISTS {db:Identifier}.cloud_accounts
(
    id              String,
    organization_id String,
    name            String,
    type            LowCardinality(String),
    account_ref     String COMMENT 'the provider''s own account / subscription / project id',
    k8s_provider    String COMMENT 'for clusters: where the cluster runs (AWS, GCP, AZURE, on-prem)',
    region          String,
    owner           String,
    version         String,
    deleted         UInt8,
    created_at      DateTime64(3, 'UTC'),
    updated_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id;

-- API tokens are random 256-bit secrets; only their SHA-256 is stored. A fast hash is right for
-- high-entropy tokens (nothing to brute-force), and it makes lookup an indexed equality.
CREATE TABLE IF NOT EXISTS {db:Identifier}.api_tokens
(
    token_hash      FixedString(64),
    id              String,
    organization_id String,
    name            String,
    revoked         UInt8,
    created_at      DateTime64(3, 'UTC'),
    updated_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY token_hash;

-- Newest sample time seen per cluster; the ingest route bumps it, K8sCluster.status reads max().
CREATE TABLE IF NOT EXISTS {db:Identifier}.k8s_cluster_heartbeats
(
    cloud_account_id String,
    last_data_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(last_data_at)
ORDER BY cloud_account_id;
