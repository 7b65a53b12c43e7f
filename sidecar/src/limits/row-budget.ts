import { GateError } from '../errors/gate-error.js';

/** configuration_limit_exceeded: a limit the operator configured, not one of PostgreSQL's. */
export const ROW_LIMIT_SQLSTATE = '53400';

const WINDOW_SECONDS = 60;

/** The rows one identity received, per second, over the last minute. */
export class RowWindow {
  private readonly buckets = new Uint32Array(WINDOW_SECONDS);
  private second = 0;
  private total = 0;
  /** Sessions holding this window; it is pruned only when none does. */
  refs = 0;

  constructor(private readonly now: () => number) {}

  /**
   * Counts one row and returns true when it fits in limit rows per minute; false (the row is
   * not counted) when it would exceed it.
   */
  take(limit: number): boolean {
    this.advance();
    if (this.total >= limit) return false;
    this.buckets[this.second % WINDOW_SECONDS]!++;
    this.total++;
    return true;
  }

  /** Rows counted in the current window. */
  used(): number {
    this.advance();
    return this.total;
  }

  /** Moves the window to now, forgetting the seconds that fell out of it. */
  private advance(): void {
    const nowSecond = Math.floor(this.now() / 1_000);
    if (nowSecond <= this.second) return;
    const gone = Math.min(nowSecond - this.second, WINDOW_SECONDS);
    for (let i = 1; i <= gone; i++) {
      const slot = (this.second + i) % WINDOW_SECONDS;
      this.total -= this.buckets[slot] as number;
      this.buckets[slot] = 0;
    }
    this.second = nowSecond;
  }
}

/**
 * Rows-per-minute budgets, one sliding window per identity shared by all its sessions in this
 * process. The window is the last 60 seconds in one-second buckets: a row counts from the
 * second it was delivered until 60 seconds later, so a caller who spent the budget gets it
 * back gradually, never all at once at a minute boundary.
 * In Kubernetes the pods a policy selects split its limit evenly (the operator counts them):
 * together they stay within it, and each caps what one pod lets through at its part.
 */
export class RowBudgets {
  private readonly windows = new Map<string, RowWindow>();

  /** now: the clock; by default one read every 100 ms, not per row (see coarseClock). */
  constructor(private readonly now: () => number = coarseClock()) {}

  /** The window of identity, held until release() is called. */
  hold(identity: string): { window: RowWindow; release: () => void } {
    let window = this.windows.get(identity);
    if (window === undefined) {
      window = new RowWindow(this.now);
      this.windows.set(identity, window);
    }
    window.refs++;
    const held = window;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      held.refs--;
    };
    return { window, release };
  }

  /** Counts one row for identity (see RowWindow.take). */
  take(identity: string, limit: number): boolean {
    const { window, release } = this.hold(identity);
    release();
    return window.take(limit);
  }

  /** Rows counted for identity in the current window. */
  used(identity: string): number {
    return this.windows.get(identity)?.used() ?? 0;
  }

  /** Forgets identities no session holds that received nothing in the last minute. */
  prune(): void {
    for (const [identity, window] of this.windows) {
      if (window.refs === 0 && window.used() === 0) this.windows.delete(identity);
    }
  }
}

let coarseNow = Date.now();
let ticking: NodeJS.Timeout | undefined;

/**
 * A clock read from a variable that a timer refreshes every 100 ms: the window has one-second
 * buckets, and reading the system clock for every row costs more than the rest of the count
 * (where clock_gettime is a system call, as in some sandboxes).
 */
export function coarseClock(): () => number {
  if (ticking === undefined) {
    coarseNow = Date.now();
    ticking = setInterval(() => (coarseNow = Date.now()), 100);
    ticking.unref();
  }
  return () => coarseNow;
}

/**
 * The error a client gets when its identity went over its rows-per-minute budget; share says
 * how many pods split the limit and this gate's part, when more than one does.
 */
export function rowLimitExceeded(
  policy: string,
  identity: string,
  limit: number,
  share: { pods: number; here: number } = { pods: 1, here: limit },
): GateError {
  const split =
    share.pods > 1 ? `, ${share.here} of them through this pod (${share.pods} pods share it)` : '';
  return new GateError({
    sqlstate: ROW_LIMIT_SQLSTATE,
    message:
      `row limit reached: ${identity} may read ${limit} rows per minute across its sessions${split} ` +
      `(policy ${policy}, rule limits.rowsPerMinute); the query was cancelled`,
    detail: `policy ${policy}, rule limits.rowsPerMinute`,
    hint: 'wait for the budget to refill, or narrow the query',
  });
}
