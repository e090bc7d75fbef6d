/** What a cluster needs to send its metrics here: the URL and its credentials. */
export interface SenderConfigInput {
  /** PUBLIC_URL + /api/v1/write. */
  url: string;
  clusterId: string;
  clusterName: string;
  secret: string;
}

type Yaml = string | number | boolean | Yaml[] | { [key: string]: Yaml };

/**
 * The Prometheus `remote_write` entry for a cluster. Checked against Prometheus 2.42's config
 * parser in the tests (`promtool check config`).
 *
 * - basic_auth rather than a custom header: Debian's Prometheus 2.42 drops `headers:`
 *   (prometheus issue 13030), and the route derives the tenant from the credentials anyway.
 * - `retry_on_http_429`: without it Prometheus drops a batch answered 429 (rate limit).
 * - No write_relabel_configs: the route sets the tenant label itself, nothing to rewrite here.
 * - max_shards bounds what one cluster opens against the route; a cost cluster sends a few
 *   thousand samples a minute, far below 10 shards x 2000 samples per send.
 */
function remoteWriteEntry(input: SenderConfigInput): Yaml {
  return {
    name: 'cloudtuner',
    url: input.url,
    basic_auth: { username: input.clusterId, password: input.secret },
    remote_timeout: '30s',
    queue_config: {
      capacity: 10000,
      max_shards: 10,
      max_samples_per_send: 2000,
      batch_send_deadline: '5s',
      min_backoff: '1s',
      max_backoff: '1m',
      retry_on_http_429: true,
    },
    metadata_config: { send: true, send_interval: '1m' },
  };
}

/**
 * A ready-to-paste `remote_write:` block for prometheus.yml, and Helm values for the Kubecost
 * cost-analyzer chart that make its bundled Prometheus send the same. The chart renders
 * `prometheus.server.remoteWrite` verbatim under `remote_write:` (only while
 * `global.prometheus.enabled` is true, i.e. its own Prometheus runs), so the entry keeps
 * Prometheus' snake_case keys; `cluster_id` is the external label Kubecost names clusters by.
 */
export function senderConfig(input: SenderConfigInput): { remoteWriteConfig: string; helmValues: string } {
  const entry = remoteWriteEntry(input);
  const remoteWriteConfig =
    `# cloudtuner: cluster ${JSON.stringify(input.clusterName)} (${input.clusterId}).\n` +
    `# The password is shown once; rotate it with rotateK8sClusterCredentials if it is lost.\n` +
    toYaml({ remote_write: [entry] });
  const helmValues =
    `# Kubecost cost-analyzer Helm values (helm upgrade --install ... -f this-file.yaml):\n` +
    `# the chart's own Prometheus sends cluster ${JSON.stringify(input.clusterName)} to cloudtuner.\n` +
    toYaml({
      global: { prometheus: { enabled: true } },
      kubecostProductConfigs: { clusterName: input.clusterName },
      prometheus: {
        server: {
          global: { external_labels: { cluster_id: input.clusterName } },
          remoteWrite: [entry],
        },
      },
    });
  return { remoteWriteConfig, helmValues };
}

/** Block-style YAML; strings are JSON-quoted, which YAML reads back unchanged whatever they hold. */
function toYaml(value: Yaml, indent = ''): string {
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        const body = toYaml(item, `${indent}  `);
        return isScalar(item) ? `${indent}- ${body}\n` : `${indent}- ${body.slice(indent.length + 2)}`;
      })
      .join('');
  }
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([key, inner]) =>
        isScalar(inner)
          ? `${indent}${key}: ${scalar(inner)}\n`
          : `${indent}${key}:\n${toYaml(inner, `${indent}  `)}`,
      )
      .join('');
  }
  return scalar(value);
}

function isScalar(value: Yaml): value is string | number | boolean {
  return typeof value !== 'object';
}

function scalar(value: string | number | boolean): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
