import { Backoff } from './backoff.js';

export interface WorkQueueOptions {
  /** Handles one key; a rejection retries the key with backoff. */
  handler: (key: string) => Promise<void>;
  /** Keys handled at the same time, never two for the same key (default 4). */
  concurrency?: number;
  /** Called for every failed attempt, with the attempt number (1 for the first failure). */
  onError?: (key: string, error: unknown, attempt: number) => void;
  /** Builds the backoff of one failing key (default 500 ms doubling to 5 minutes). */
  backoff?: () => Backoff;
}

/**
 * A queue of object keys for level-triggered reconciling. A key waits at most once (adding it
 * again while it waits changes nothing); a key is never handled twice at once, and one added
 * while it is being handled runs again afterwards, so changes to one object are handled in
 * order. Different keys run concurrently. A failing key is retried with backoff.
 */
export class WorkQueue {
  private readonly options: WorkQueueOptions;
  private readonly waiting: string[] = [];
  private readonly pending = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, Backoff>();
  private readonly idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(options: WorkQueueOptions) {
    this.options = options;
  }

  /** Queues a key to be handled as soon as a worker is free. */
  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.pending.has(key)) return;
    this.pending.add(key);
    this.waiting.push(key);
    this.pump();
  }

  /** Queues a key after a delay; an earlier scheduled add for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing !== undefined && existing.at <= at) return;
    if (existing !== undefined) clearTimeout(existing.timer);

    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Keys waiting or running. */
  get length(): number {
    return this.pending.size + this.running.size;
  }

  /** Resolves when nothing waits or runs (scheduled adds do not count). */
  async idle(): Promise<void> {
    if (this.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops waiting and scheduled keys and waits for running handlers to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const key of this.waiting.splice(0)) this.pending.delete(key);
    this.dirty.clear();
    await this.idle();
  }

  private pump(): void {
    const concurrency = this.options.concurrency ?? 4;
    while (this.running.size < concurrency && this.waiting.length > 0) {
      const key = this.waiting.shift()!;
      this.pending.delete(key);
      this.running.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      await this.options.handler(key);
      this.failures.delete(key);
    } catch (err) {
      this.retry(key, err);
    } finally {
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
      if (this.length === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private retry(key: string, error: unknown): void {
    let backoff = this.failures.get(key);
    if (backoff === undefined) {
      backoff = this.options.backoff?.() ?? new Backoff({ initialMs: 500, maxMs: 300_000 });
      this.failures.set(key, backoff);
    }
    const delay = backoff.next();
    this.options.onError?.(key, error, backoff.attempts);
    this.addAfter(key, delay);
  }
}
