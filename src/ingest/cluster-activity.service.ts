import type { CloudAccountRepository } from '../domain/ports';
import type { Logger } from '../logger';

/** Where a cluster runs, as its `kubecost_cluster_info` series says. */
interface ClusterInfo {
  provider: string;
  region: string;
  version: string;
}

export interface ClusterActivityOptions {
  /** How often pending freshness and cluster info are written. */
  flushIntervalMs: number;
  now?: () => number;
}

/**
 * Remembers what remote_write traffic says about clusters and writes it to the store in the
 * background: the newest sample time (K8sCluster.lastDataAt/status) and the provider, region and
 * version from `kubecost_cluster_info`. Prometheus sends many requests a second per cluster, so
 * nothing here writes per request: the newest time is kept as a max in memory and flushed every
 * few seconds (and on stop), and cluster info is written only when it differs from what was seen.
 */
export class ClusterActivityService {
  private readonly newest = new Map<string, number>();
  private readonly flushed = new Map<string, number>();
  private readonly pendingInfo = new Map<string, { organizationId: string; info: ClusterInfo }>();
  private readonly knownInfo = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(
    private readonly accounts: CloudAccountRepository,
    private readonly logger: Logger,
    private readonly options: ClusterActivityOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Notes an accepted write of a cluster; cheap, synchronous, no I/O. */
  record(
    cluster: { cloudAccountId: string; organizationId: string },
    newestTimestampMs: number | null,
    clusterInfoLabels: Record<string, string> | null,
  ): void {
    const id = cluster.cloudAccountId;
    if (newestTimestampMs !== null && Number.isFinite(newestTimestampMs)) {
      // A sender's clock ahead of ours must not keep a silent cluster HEALTHY for ever.
      const at = Math.min(newestTimestampMs, this.now());
      if (at > (this.newest.get(id) ?? this.flushed.get(id) ?? -Infinity)) this.newest.set(id, at);
    }
    if (clusterInfoLabels) {
      const info = {
        provider: clusterInfoLabels.provider ?? '',
        region: clusterInfoLabels.region ?? '',
        version: clusterInfoLabels.version ?? '',
      };
      const key = JSON.stringify(info);
      if (this.knownInfo.get(id) !== key) {
        this.pendingInfo.set(id, { organizationId: cluster.organizationId, info });
        this.knownInfo.set(id, key);
      }
    }
  }

  /** Starts the periodic flush; the timer does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.flush().catch((error: unknown) =>
        this.logger.error({ err: error }, 'could not record cluster freshness; will retry'),
      );
    }, this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is pending. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Writes pending freshness and cluster info now; one flush at a time. */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.flushOnce());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async flushOnce(): Promise<void> {
    const times = [...this.newest];
    this.newest.clear();
    const infos = [...this.pendingInfo];
    this.pendingInfo.clear();
    let failure: unknown;
    for (const [id, at] of times) {
      try {
        await this.accounts.recordDataAt(id, new Date(at));
        this.flushed.set(id, Math.max(at, this.flushed.get(id) ?? -Infinity));
      } catch (error) {
        // Put it back (unless newer arrived meanwhile) so the next flush retries.
        if (at > (this.newest.get(id) ?? -Infinity)) this.newest.set(id, at);
        failure ??= error;
      }
    }
    for (const [id, pending] of infos) {
      try {
        await this.applyInfo(id, pending.organizationId, pending.info);
      } catch (error) {
        if (!this.pendingInfo.has(id)) this.pendingInfo.set(id, pending);
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  private async applyInfo(id: string, organizationId: string, info: ClusterInfo): Promise<void> {
    const [account] = await this.accounts.getMany(organizationId, [id]);
    if (!account || account.deleted) return;
    // A label Kubecost did not send leaves the registered value as it is.
    const next = {
      ...account,
      k8sProvider: info.provider || account.k8sProvider,
      region: info.region || account.region,
      version: info.version || account.version,
    };
    if (
      next.k8sProvider === account.k8sProvider &&
      next.region === account.region &&
      next.version === account.version
    ) {
      return;
    }
    await this.accounts.save(next);
    this.logger.info(
      { cloudAccountId: id, provider: next.k8sProvider, region: next.region, version: next.version },
      'cluster info updated from kubecost_cluster_info',
    );
  }
}
