import pino from 'pino';
import type { CloudAccountRepository } from '../../src/domain/ports';
import type { CloudAccount } from '../../src/domain/model';
import { ClusterActivityService } from '../../src/ingest/cluster-activity.service';

/** Accounts in memory, recording every write the service makes. */
function memoryAccounts(accounts: CloudAccount[]) {
  const recorded: { id: string; at: Date }[] = [];
  const saved: CloudAccount[] = [];
  let failNextRecord = false;
  const repo: CloudAccountRepository = {
    async save(account) {
      saved.push(account);
      const i = accounts.findIndex((a) => a.id === account.id);
      accounts[i] = account;
    },
    async saveMany(many) {
      for (const account of many) await repo.save(account);
    },
    async list() {
      return accounts;
    },
    async getMany(organizationId, ids) {
      return accounts.filter((a) => a.organizationId === organizationId && ids.includes(a.id));
    },
    async lastDataAt() {
      return new Map();
    },
    async recordDataAt(id, at) {
      if (failNextRecord) {
        failNextRecord = false;
        throw new Error('ClickHouse is down');
      }
      recorded.push({ id, at });
    },
  };
  return { repo, recorded, saved, failNext: () => (failNextRecord = true) };
}

const cluster = (id: string): CloudAccount => ({
  id,
  organizationId: 'org-1',
  name: id,
  type: 'KUBERNETES',
  accountRef: '',
  k8sProvider: 'AWS',
  region: '',
  owner: '',
  version: '',
  deleted: false,
  createdAt: new Date('2024-01-01T00:00:00Z'),
});

describe('ClusterActivityService', () => {
  const now = Date.parse('2024-06-01T12:00:00Z');
  const logger = pino({ level: 'silent' });
  const a = { cloudAccountId: 'a', organizationId: 'org-1' };
  const b = { cloudAccountId: 'b', organizationId: 'org-1' };

  it('writes one freshness row per cluster per flush: the newest sample time, not one per request', async () => {
    const store = memoryAccounts([cluster('a'), cluster('b')]);
    const activity = new ClusterActivityService(store.repo, logger, {
      flushIntervalMs: 5000,
      now: () => now,
    });
    activity.record(a, now - 30_000, null);
    activity.record(a, now - 10_000, null);
    activity.record(a, now - 20_000, null);
    activity.record(b, now - 60_000, null);
    activity.record(b, null, null);
    expect(store.recorded).toEqual([]);
    await activity.flush();
    expect(store.recorded).toEqual([
      { id: 'a', at: new Date(now - 10_000) },
      { id: 'b', at: new Date(now - 60_000) },
    ]);
    // Nothing newer since: the next flush writes nothing; an older sample changes nothing either.
    activity.record(a, now - 50_000, null);
    await activity.flush();
    expect(store.recorded).toHaveLength(2);
  });

  it("clamps a sender's future timestamps to the time received", async () => {
    const store = memoryAccounts([cluster('a')]);
    const activity = new ClusterActivityService(store.repo, logger, {
      flushIntervalMs: 5000,
      now: () => now,
    });
    activity.record(a, now + 86_400_000, null);
    await activity.flush();
    expect(store.recorded).toEqual([{ id: 'a', at: new Date(now) }]);
  });

  it('keeps a time whose write failed for the next flush', async () => {
    const store = memoryAccounts([cluster('a')]);
    const activity = new ClusterActivityService(store.repo, logger, {
      flushIntervalMs: 5000,
      now: () => now,
    });
    activity.record(a, now - 1000, null);
    store.failNext();
    await expect(activity.flush()).rejects.toThrow('ClickHouse is down');
    await activity.flush();
    expect(store.recorded).toEqual([{ id: 'a', at: new Date(now - 1000) }]);
  });

  it('updates provider, region and version from kubecost_cluster_info only when they change', async () => {
    const store = memoryAccounts([cluster('a')]);
    const activity = new ClusterActivityService(store.repo, logger, {
      flushIntervalMs: 5000,
      now: () => now,
    });
    const info = {
      __name__: 'kubecost_cluster_info',
      provider: 'GCP',
      region: 'europe-west1',
      version: '1.29',
    };
    activity.record(a, now, info);
    activity.record(a, now, info);
    await activity.flush();
    expect(store.saved).toHaveLength(1);
    expect(store.saved[0]).toMatchObject({ k8sProvider: 'GCP', region: 'europe-west1', version: '1.29' });
    activity.record(a, now, { ...info });
    await activity.flush();
    expect(store.saved).toHaveLength(1);
    activity.record(a, now, { ...info, version: '1.30' });
    await activity.flush();
    expect(store.saved).toHaveLength(2);
    expect(store.saved[1]).toMatchObject({ k8sProvider: 'GCP', region: 'europe-west1', version: '1.30' });
  });

  it('flushes what is pending on stop', async () => {
    const store = memoryAccounts([cluster('a')]);
    const activity = new ClusterActivityService(store.repo, logger, {
      flushIntervalMs: 60_000,
      now: () => now,
    });
    activity.start();
    activity.record(a, now - 5, null);
    await activity.stop();
    expect(store.recorded).toEqual([{ id: 'a', at: new Date(now - 5) }]);
  });
});
