/**
 * Fair sharing of a service's request slots between organizations. At most `slots` requests run
 * at once, and at most `perKey` of one organization; the others wait in their organization's
 * queue, and a freed slot goes to the organizations with waiting requests in turn (round robin),
 * never to the next request of whoever sent the most. One organization flooding the API thus
 * holds `perKey` slots and waits behind itself; another's request finds a slot at once, or the
 * next one freed.
 */
export class FairLimiter {
  private inFlight = 0;
  private readonly running = new Map<string, number>();
  /** Waiting requests per key; the Map's order is the round-robin order. */
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(
    private readonly slots: number,
    private readonly perKey: number,
  ) {
    if (!(slots >= 1 && perKey >= 1)) throw new RangeError('slots and perKey must be at least 1');
  }

  /** Runs `task` in one of `key`'s slots, waiting for one if needed. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const release = await this.acquire(key);
    try {
      return await task();
    } finally {
      release();
    }
  }

  /** A slot for `key`; call the returned function (once) to free it. */
  async acquire(key: string): Promise<() => void> {
    if (!this.waiting.has(key) && this.canRun(key)) this.take(key);
    else await new Promise<void>((resolve) => this.enqueue(key, resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      const left = (this.running.get(key) ?? 1) - 1;
      if (left) this.running.set(key, left);
      else this.running.delete(key);
      this.dispatch();
    };
  }

  /** Requests running and waiting now, for /metrics and tests. */
  stats(): { running: number; waiting: number } {
    let waiting = 0;
    for (const queue of this.waiting.values()) waiting += queue.length;
    return { running: this.inFlight, waiting };
  }

  private canRun(key: string): boolean {
    return this.inFlight < this.slots && (this.running.get(key) ?? 0) < this.perKey;
  }

  private take(key: string): void {
    this.inFlight++;
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
  }

  private enqueue(key: string, resolve: () => void): void {
    const queue = this.waiting.get(key);
    if (queue) queue.push(resolve);
    else this.waiting.set(key, [resolve]);
  }

  /** Hands free slots to waiting keys in turn; a key served moves to the end of the turn. */
  private dispatch(): void {
    let served = true;
    while (served && this.inFlight < this.slots) {
      served = false;
      for (const [key, queue] of this.waiting) {
        if (!this.canRun(key)) continue;
        const next = queue.shift() as () => void;
        this.waiting.delete(key);
        if (queue.length) this.waiting.set(key, queue);
        this.take(key);
        next();
        served = true;
        break;
      }
    }
  }
}
