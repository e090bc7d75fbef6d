import { SampleRateLimiter } from '../../src/ingest/rate-limiter';

describe('SampleRateLimiter', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('is off at 0 samples per second', () => {
    const limiter = new SampleRateLimiter(0, clock);
    expect(limiter.enabled).toBe(false);
    expect(limiter.take('a', 1e9)).toBeNull();
  });

  it('admits a burst of two seconds worth, then asks to wait until enough has refilled', () => {
    const limiter = new SampleRateLimiter(100, clock);
    expect(limiter.take('a', 150)).toBeNull();
    expect(limiter.take('a', 50)).toBeNull(); // 200 = the whole bucket
    expect(limiter.take('a', 100)).toBe(1); // empty: 100 samples refill in 1 s
    expect(limiter.take('a', 250)).toBe(2); // more than the bucket: needs it full, 2 s
    now += 1000;
    expect(limiter.take('a', 100)).toBeNull();
  });

  it('keeps tenants apart', () => {
    const limiter = new SampleRateLimiter(10, clock);
    expect(limiter.take('a', 20)).toBeNull();
    expect(limiter.take('a', 1)).toBe(1);
    expect(limiter.take('b', 20)).toBeNull();
  });

  it('lets a batch larger than the bucket through when full, then holds the rate by debt', () => {
    const limiter = new SampleRateLimiter(500, clock); // bucket 1000, Prometheus sends 2000
    expect(limiter.take('a', 2000)).toBeNull();
    // 1000 in debt: a full bucket again takes (1000 + 1000) / 500 = 4 s.
    expect(limiter.take('a', 2000)).toBe(4);
    now += 4000;
    expect(limiter.take('a', 2000)).toBeNull();
  });

  it('never limits a request without samples (metadata only)', () => {
    const limiter = new SampleRateLimiter(1, clock);
    expect(limiter.take('a', 2)).toBeNull();
    expect(limiter.take('a', 0)).toBeNull();
  });
});
