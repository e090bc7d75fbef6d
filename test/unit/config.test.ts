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

  it('names every bad key at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT=.*\n.*LOG_LEVEL=/s);
  });
});
