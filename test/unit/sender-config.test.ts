import { parse } from 'yaml';
import { senderConfig } from '../../src/services/sender-config';

describe('senderConfig', () => {
  const input = {
    url: 'https://costs.example.test/api/v1/write',
    clusterId: '6f0c3c1e-1111-4222-8333-944455556666',
    clusterName: 'prod "eu": west\nsecond line',
    secret: 'ctw_abc-DEF_123',
  };
  const { remoteWriteConfig, helmValues } = senderConfig(input);

  it('gives a remote_write block with the URL, the cluster id as user and the secret as password', () => {
    const parsed = parse(remoteWriteConfig);
    expect(parsed.remote_write).toHaveLength(1);
    const [entry] = parsed.remote_write;
    expect(entry.url).toBe('https://costs.example.test/api/v1/write');
    expect(entry.basic_auth).toEqual({ username: input.clusterId, password: 'ctw_abc-DEF_123' });
    // Without it Prometheus drops a batch answered 429.
    expect(entry.queue_config.retry_on_http_429).toBe(true);
    expect(entry.queue_config.max_samples_per_send).toBe(2000);
    expect(entry.write_relabel_configs).toBeUndefined();
    expect(entry.headers).toBeUndefined();
  });

  it('keeps a name with quotes, colons and a newline intact, even in the comment lines', () => {
    const lines = remoteWriteConfig.split('\n');
    expect(lines.filter((line) => line.startsWith('#'))).toHaveLength(2);
    expect(parse(helmValues).kubecostProductConfigs.clusterName).toBe(input.clusterName);
  });

  it("gives Kubecost Helm values that put the same entry under the chart's Prometheus", () => {
    const values = parse(helmValues);
    expect(values.global.prometheus.enabled).toBe(true);
    expect(values.prometheus.server.remoteWrite).toEqual(parse(remoteWriteConfig).remote_write);
    expect(values.prometheus.server.global.external_labels.cluster_id).toBe(input.clusterName);
  });
});
