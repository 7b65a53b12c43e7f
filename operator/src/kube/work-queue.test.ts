import { Backoff } from './backoff.js';
import { WorkQueue } from './work-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('WorkQueue', () => {
  it('handles a key once however often it is added while waiting', async () => {
    const seen: string[] = [];
    const gate = deferred();
    const queue = new WorkQueue({
      concurrency: 1,
      handler: async (key) => {
        seen.push(key);
        if (key === 'blocker') await gate.promise;
      },
    });

    queue.add('blocker'); // occupies the only worker, so the adds below wait
    queue.add('a');
    queue.add('a');
    queue.add('b');
    queue.add('a');
    gate.resolve();
    await queue.idle();

    expect(seen).toEqual(['blocker', 'a', 'b']);
  });

  it('never runs one key twice at once, and reruns a key added while it ran', async () => {
    const gate = deferred();
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const queue = new WorkQueue({
      concurrency: 4,
      handler: async () => {
        concurrent += 1;
        runs += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        if (runs === 1) await gate.promise;
        concurrent -= 1;
      },
    });

    queue.add('ns/x');
    queue.add('ns/x'); // arrives while the first run is in progress
    queue.add('ns/x');
    gate.resolve();
    await queue.idle();

    expect(maxConcurrent).toBe(1);
    expect(runs).toBe(2);
  });

  it('runs different keys concurrently up to the limit', async () => {
    const gate = deferred();
    let concurrent = 0;
    let maxConcurrent = 0;
    const queue = new WorkQueue({
      concurrency: 3,
      handler: async () => {
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await gate.promise;
        concurrent -= 1;
      },
    });
    for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(key);
    await new Promise((r) => setImmediate(r));
    expect(maxConcurrent).toBe(3);
    gate.resolve();
    await queue.idle();
    expect(concurrent).toBe(0);
  });

  it('retries a failing key with growing delays and reports each failure', async () => {
    const attempts: number[] = [];
    const times: number[] = [];
    const done = deferred();
    const queue = new WorkQueue({
      handler: () => {
        times.push(Date.now());
        if (times.length < 3) return Promise.reject(new Error('not yet'));
        done.resolve();
        return Promise.resolve();
      },
      onError: (_key, _error, attempt) => attempts.push(attempt),
      backoff: () => new Backoff({ initialMs: 20, factor: 2, random: () => 0 }),
    });

    queue.add('k');
    await done.promise;
    await queue.stop();

    expect(attempts).toEqual([1, 2]);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(18);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(38);
  });

  it('keeps the earlier of two scheduled adds for one key', async () => {
    const seen: number[] = [];
    const start = Date.now();
    const queue = new WorkQueue({
      handler: () => Promise.resolve(void seen.push(Date.now() - start)),
    });
    queue.addAfter('k', 10_000);
    queue.addAfter('k', 10);
    await new Promise((r) => setTimeout(r, 60));
    await queue.stop();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeLessThan(1_000);
  });

  it('drops waiting keys on stop and accepts no more', async () => {
    const seen: string[] = [];
    const queue = new WorkQueue({ handler: (key) => Promise.resolve(void seen.push(key)) });
    queue.addAfter('later', 5);
    await queue.stop();
    queue.add('after-stop');
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([]);
  });
});
