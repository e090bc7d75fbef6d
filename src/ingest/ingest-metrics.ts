import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Why samples were not accepted (the `reason` label). */
export type RejectReason = 'rate_limited' | 'backend_rejected' | 'backend_unavailable';

/** Tenant label of requests no cluster could be proven for. */
export const UNKNOWN_TENANT = 'unknown';

/**
 * The service's own Prometheus metrics (served at /metrics), in a registry of its own so two
 * servers in one process (tests) never share counters. Tenants are cluster ids: a bounded set.
 */
export class IngestMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'tenant' | 'status'>;
  private readonly accepted: Counter<'tenant'>;
  private readonly rejected: Counter<'tenant' | 'reason'>;
  private readonly bytes: Counter<'tenant'>;
  private readonly duration: Histogram;

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'cloudtuner_remote_write_requests_total',
      help: 'remote_write requests by cluster (tenant) and HTTP status answered',
      labelNames: ['tenant', 'status'],
      registers,
    });
    this.accepted = new Counter({
      name: 'cloudtuner_remote_write_samples_accepted_total',
      help: 'samples and histogram samples written to the metrics backend',
      labelNames: ['tenant'],
      registers,
    });
    this.rejected = new Counter({
      name: 'cloudtuner_remote_write_samples_rejected_total',
      help: 'samples of decoded requests not written, by reason (undecodable requests count in requests_total{status="400"})',
      labelNames: ['tenant', 'reason'],
      registers,
    });
    this.bytes = new Counter({
      name: 'cloudtuner_remote_write_received_bytes_total',
      help: 'compressed request body bytes received',
      labelNames: ['tenant'],
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
    this.requests.inc({ tenant, status: String(status) });
    this.duration.observe(seconds);
  }

  received(tenant: string, bytes: number): void {
    this.bytes.inc({ tenant }, bytes);
  }

  acceptedSamples(tenant: string, samples: number): void {
    this.accepted.inc({ tenant }, samples);
  }

  rejectedSamples(tenant: string, reason: RejectReason, samples: number): void {
    this.rejected.inc({ tenant, reason }, samples);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
