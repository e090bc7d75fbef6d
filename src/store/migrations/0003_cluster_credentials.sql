-- Remote-write credentials of clusters. The secret is a random 256-bit value shown once at
-- registration or rotation; only its SHA-256 (hex) is kept, like the API tokens. Revoking is an
-- insert of the same (cloud_account_id, secret_hash) with revoked = 1 and a newer updated_at.
-- Ordered by account for basic auth (the cluster id is the user name, its few secrets are compared
-- in constant time); the bloom filter serves bearer auth, which knows only the secret.
CREATE TABLE IF NOT EXISTS {db:Identifier}.cluster_credentials
(
    cloud_account_id String,
    secret_hash      FixedString(64),
    created_at       DateTime64(3, 'UTC'),
    revoked          UInt8,
    updated_at       DateTime64(3, 'UTC'),
    INDEX secret_hash_bloom secret_hash TYPE bloom_filter GRANULARITY 1
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (cloud_account_id, secret_hash);
