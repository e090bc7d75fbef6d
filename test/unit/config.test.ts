import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.dataDir).toBe(path.resolve('./data'));
    expect(config.clickhouse.url).toBeUndefined();
    expect(config.clickhouse.embeddedPath).toBe(path.resolve('./data/clickhouse'));
    expect(config.clickhouse.database).toBe('cloudtuner');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.logLevel).toBe('info');
  });

  it('reads every key and freezes the result', () => {
    const config = loadConfig({
      PORT: '8080',
      DATA_DIR: '/srv/ct',
      CLICKHOUSE_URL: 'http://clickhouse:8123',
      CLICKHOUSE_DATABASE: 'costs_1',
      REDIS_URL: 'redis://redis:6379/2',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 8080,
      dataDir: '/srv/ct',
      clickhouse: { url: 'http://clickhouse:8123', database: 'costs_1', embeddedPath: '/srv/ct/clickhouse' },
      redisUrl: 'redis://redis:6379/2',
      logLevel: 'debug',
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.clickhouse)).toBe(true);
  });

  it.each([
    ['PORT', 'eighty', /PORT="eighty"/],
    ['PORT', '70000', /PORT="70000"/],
    ['CLICKHOUSE_URL', 'clickhouse:8123', /CLICKHOUSE_URL="clickhouse:8123"/],
    ['CLICKHOUSE_DATABASE', 'costs; DROP TABLE x', /CLICKHOUSE_DATABASE=.*a database name/],
    ['REDIS_URL', 'http://redis', /REDIS_URL="http:\/\/redis"/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL="loud".*(fatal|info)/],
  ])('refuses %s=%s naming the key, the value and what is allowed', (key, value, message) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(message);
  });

  it('gives the remote_write defaults: no backend, THANOS-TENANT, 10 MiB / 32 MiB caps, no rate limit', () => {
    const config = loadConfig({ PORT: '8080' });
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.metrics).toMatchObject({
      writeUrl: undefined,
      tenantHeader: 'THANOS-TENANT',
      writeTimeoutMs: 10_000,
    });
    expect(config.ingest).toEqual({
      maxBodyBytes: 10 * 1024 * 1024,
      maxDecodedBytes: 32 * 1024 * 1024,
      rateLimitSamplesPerSecond: 0,
      authCacheSeconds: 10,
      futureGraceSeconds: 600,
      maxSampleAgeSeconds: 0,
    });
  });

  it('reads the remote_write keys', () => {
    const config = loadConfig({
      PUBLIC_URL: 'https://costs.example.test/',
      METRICS_WRITE_URL: 'http://mimir:8080/api/v1/push',
      METRICS_TENANT_HEADER: 'X-Scope-OrgID',
      METRICS_WRITE_TIMEOUT_MS: '2500',
      INGEST_MAX_BODY_BYTES: '1048576',
      INGEST_MAX_DECODED_BYTES: '4194304',
      INGEST_RATE_LIMIT_SAMPLES_PER_SECOND: '5000',
      INGEST_AUTH_CACHE_SECONDS: '0',
      INGEST_FUTURE_GRACE_SECONDS: '60',
      INGEST_MAX_SAMPLE_AGE_SECONDS: '7200',
    });
    expect(config.publicUrl).toBe('https://costs.example.test');
    expect(config.metrics).toMatchObject({
      writeUrl: 'http://mimir:8080/api/v1/push',
      tenantHeader: 'X-Scope-OrgID',
      writeTimeoutMs: 2500,
    });
    expect(config.ingest).toEqual({
      maxBodyBytes: 1048576,
      maxDecodedBytes: 4194304,
      rateLimitSamplesPerSecond: 5000,
      authCacheSeconds: 0,
      futureGraceSeconds: 60,
      maxSampleAgeSeconds: 7200,
    });
    expect(Object.isFrozen(config.ingest)).toBe(true);
  });

  it.each([
    ['METRICS_WRITE_URL', 'thanos:19291', /METRICS_WRITE_URL="thanos:19291"/],
    ['METRICS_TENANT_HEADER', 'bad header', /METRICS_TENANT_HEADER=.*HTTP header name/],
    ['INGEST_RATE_LIMIT_SAMPLES_PER_SECOND', '-1', /INGEST_RATE_LIMIT_SAMPLES_PER_SECOND="-1"/],
    ['INGEST_MAX_BODY_BYTES', '10MB', /INGEST_MAX_BODY_BYTES="10MB"/],
    ['INGEST_FUTURE_GRACE_SECONDS', '-5', /INGEST_FUTURE_GRACE_SECONDS="-5"/],
    ['PUBLIC_URL', 'costs.example.test', /PUBLIC_URL="costs.example.test"/],
  ])('refuses %s=%s', (key, value, message) => {
    expect(() => loadConfig({ [key]: value })).toThrow(message);
  });

  it('names every bad key at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT=.*\n.*LOG_LEVEL=/s);
  });
});
