import { FairLimiter } from '../../src/http/fair-limiter';

/** Lets queued promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('FairLimiter', () => {
  it('lets one key hold at most its share; another key gets a free slot at once', async () => {
    const limiter = new FairLimiter(3, 2);
    const a1 = await limiter.acquire('a');
    const a2 = await limiter.acquire('a');
    let a3: (() => void) | undefined;
    void limiter.acquire('a').then((release) => (a3 = release));
    await settle();
    expect(a3).toBeUndefined(); // a holds its two slots: its third request waits
    const b1 = await limiter.acquire('b'); // the third slot is free: b runs at once
    expect(limiter.stats()).toEqual({ running: 3, waiting: 1 });
    a1();
    await settle();
    expect(a3).toBeDefined(); // a's slot went to a's waiting request
    a2();
    b1();
    a3?.();
    expect(limiter.stats()).toEqual({ running: 0, waiting: 0 });
  });

  it('hands freed slots to the waiting keys in turn, not to whoever queued the most', async () => {
    const limiter = new FairLimiter(1, 1);
    const order: string[] = [];
    const first = await limiter.acquire('a');
    const done = ['a', 'a', 'a', 'b', 'c'].map((key) =>
      limiter.run(key, async () => {
        order.push(key);
      }),
    );
    first();
    await Promise.all(done);
    expect(order).toEqual(['a', 'b', 'c', 'a', 'a']);
  });

  it('frees a slot once even when released twice, and after a failing task', async () => {
    const limiter = new FairLimiter(1, 1);
    const release = await limiter.acquire('a');
    release();
    release();
    expect(limiter.stats()).toEqual({ running: 0, waiting: 0 });
    await expect(limiter.run('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(limiter.stats()).toEqual({ running: 0, waiting: 0 });
  });
});
