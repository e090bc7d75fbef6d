import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Why samples were not accepted (the `reason` label). */
export type RejectReason =
  'rate_limited' | 'backend_rejected' | 'backend_unavailable' | 'too_far_in_future' | 'too_old';

/** Tenant label of requests no cluster could be proven for. */
export const UNKNOWN_TENANT = 'unknown';

/**
 * The service's own Prometheus metrics (served at /metrics), in a registry of its own so two
 * servers in one process (tests) never share counters. With `tenantLabels` the remote_write
 * counters carry the cluster id (`tenant`, a bounded set); without (the default) they do not, so
 * /metrics lists no tenant's clusters or traffic.
 */
export class IngestMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<string>;
  private readonly accepted: Counter<string>;
  private readonly rejected: Counter<string>;
  private readonly bytes: Counter<string>;
  private readonly duration: Histogram;
  private readonly tenantLabels: boolean;

  constructor(options: { processMetrics?: boolean; tenantLabels?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.tenantLabels = options.tenantLabels ?? false;
    const labels = (...names: string[]) => (this.tenantLabels ? ['tenant', ...names] : names);
    this.requests = new Counter({
      name: 'cloudtuner_remote_write_requests_total',
      help: 'remote_write requests by cluster (tenant) and HTTP status answered',
      labelNames: labels('status'),
      registers,
    });
    this.accepted = new Counter({
      name: 'cloudtuner_remote_write_samples_accepted_total',
      help: 'samples and histogram samples written to the metrics backend',
      labelNames: labels(),
      registers,
    });
    this.rejected = new Counter({
      name: 'cloudtuner_remote_write_samples_rejected_total',
      help: 'samples of decoded requests not written, by reason (undecodable requests count in requests_total{status="400"})',
      labelNames: labels('reason'),
      registers,
    });
    this.bytes = new Counter({
      name: 'cloudtuner_remote_write_received_bytes_total',
      help: 'compressed request body bytes received',
      labelNames: labels(),
      registers,
    });
    this.duration = new Histogram({
      name: 'cloudtuner_remote_write_request_duration_seconds',
      help: 'time to answer a remote_write request, backend write included',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }

  request(tenant: string, status: number, seconds: number): void {
    this.requests.inc({ ...this.tenant(tenant), status: String(status) });
    this.duration.observe(seconds);
  }

  received(tenant: string, bytes: number): void {
    this.bytes.inc(this.tenant(tenant), bytes);
  }

  acceptedSamples(tenant: string, samples: number): void {
    this.accepted.inc(this.tenant(tenant), samples);
  }

  rejectedSamples(tenant: string, reason: RejectReason, samples: number): void {
    this.rejected.inc({ ...this.tenant(tenant), reason }, samples);
  }

  private tenant(tenant: string): Record<string, string> {
    return this.tenantLabels ? { tenant } : {};
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
