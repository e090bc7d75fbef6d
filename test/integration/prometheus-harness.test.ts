import { PrometheusProcess } from '../support/prometheus';

// The harness itself, against the real binary: if this fails, the Prometheus-backed tests
// elsewhere fail for a reason that is not theirs.
describe('Prometheus test harness', () => {
  it('starts a receiver, answers queries, and survives a restart on the same data', async () => {
    const prometheus = await PrometheusProcess.start();
    try {
      const [result] = await prometheus.query('vector(42)');
      expect(result?.value?.[1]).toBe('42');
      await prometheus.restart();
      const [again] = await prometheus.query('vector(1 + 1)');
      expect(again?.value?.[1]).toBe('2');
    } finally {
      await prometheus.dispose();
    }
  });
});
