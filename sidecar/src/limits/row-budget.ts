import { GateError } from '../errors/gate-error.js';

/** configuration_limit_exceeded: a limit the operator configured, not one of PostgreSQL's. */
export const ROW_LIMIT_SQLSTATE = '53400';

const WINDOW_SECONDS = 60;

/** The rows one identity received, per second, over the last minute. */
class Window {
  private readonly buckets = new Uint32Array(WINDOW_SECONDS);
  private second = 0;
  total = 0;

  /** Moves the window to now, forgetting the seconds that fell out of it. */
  advance(nowSecond: number): void {
    if (nowSecond <= this.second) return;
    const gone = Math.min(nowSecond - this.second, WINDOW_SECONDS);
    for (let i = 1; i <= gone; i++) {
      const slot = (this.second + i) % WINDOW_SECONDS;
      this.total -= this.buckets[slot] as number;
      this.buckets[slot] = 0;
    }
    this.second = nowSecond;
  }

  add(count: number): void {
    this.buckets[this.second % WINDOW_SECONDS]! += count;
    this.total += count;
  }
}

/**
 * Rows-per-minute budgets, one sliding window per identity shared by all its sessions in this
 * process. The window is the last 60 seconds in one-second buckets: a row counts from the
 * second it was delivered until 60 seconds later, so a caller who spent the budget gets it
 * back gradually, never all at once at a minute boundary.
 * NOTE: the budget is per gate process; an identity using several pods gets one per pod.
 */
export class RowBudgets {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Counts one row for identity and returns true when it fits in limit rows per minute;
   * false (the row is not counted) when it would exceed it.
   */
  take(identity: string, limit: number): boolean {
    let window = this.windows.get(identity);
    if (window === undefined) {
      window = new Window();
      this.windows.set(identity, window);
    }
    window.advance(Math.floor(this.now() / 1_000));
    if (window.total + 1 > limit) return false;
    window.add(1);
    return true;
  }

  /** Rows counted for identity in the current window. */
  used(identity: string): number {
    const window = this.windows.get(identity);
    if (window === undefined) return 0;
    window.advance(Math.floor(this.now() / 1_000));
    return window.total;
  }

  /** Forgets identities that received nothing in the last minute (call now and then). */
  prune(): void {
    for (const [identity, window] of this.windows) {
      window.advance(Math.floor(this.now() / 1_000));
      if (window.total === 0) this.windows.delete(identity);
    }
  }
}

/** The error a client gets when its identity went over its rows-per-minute budget. */
export function rowLimitExceeded(policy: string, identity: string, limit: number): GateError {
  return new GateError({
    sqlstate: ROW_LIMIT_SQLSTATE,
    message:
      `row limit reached: ${identity} may read ${limit} rows per minute across its sessions ` +
      `(policy ${policy}, rule limits.rowsPerMinute); the query was cancelled`,
    detail: `policy ${policy}, rule limits.rowsPerMinute`,
    hint: 'wait for the budget to refill, or narrow the query',
  });
}
