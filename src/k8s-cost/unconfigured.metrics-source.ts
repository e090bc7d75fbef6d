import { MetricsQueryError, type TenantMetricsSource } from '../domain/ports/metrics-source';

/**
 * Stands in for the metrics backend when METRICS_QUERY_URL is unset: every query fails with a
 * MetricsQueryError (not retryable), so a run that reaches it fails once and says why. Workers do
 * not start without the URL, so only a direct call can get here.
 */
export const unconfiguredMetricsSource: TenantMetricsSource = {
  forTenant(tenant) {
    return {
      async instantQuery(promql) {
        throw new MetricsQueryError('no metrics backend configured: set METRICS_QUERY_URL', {
          query: promql,
          tenant,
        });
      },
    };
  },
};
