import type { StatementInfo } from '../statements/statement-info.js';

/** A result the server owes, and the row threshold watching it. */
export interface PendingResult {
  /** The statements producing it, to show an approver what the rows come from. */
  statements: readonly StatementInfo[];
  kind: 'query' | 'execute';
  /** Rows past this many wait for approval; undefined when no rule watches the result. */
  rowsOver: number | undefined;
  rule: string | undefined;
  /** Rows delivered of the current result (a Query's statements each start again). */
  rows: number;
  /** Someone approved going past rowsOver for this result. */
  approved: boolean;
}

type Entry = PendingResult | { kind: 'sync' };

/**
 * Follows which Query or Execute each row answers, so that each result is held against the
 * threshold of its own statement, also when a client pipelines. The server answers in order;
 * after an error in extended query it skips to the next Sync.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
export class ResultQueue {
  private queue: Entry[] = [];
  private head = 0;

  /** A Query or FunctionCall: one or more results up to its ReadyForQuery. */
  query(
    rowsOver: number | undefined,
    rule: string | undefined,
    statements: readonly StatementInfo[] = [],
  ): void {
    this.queue.push({ kind: 'query', rowsOver, rule, rows: 0, approved: false, statements });
  }

  execute(
    rowsOver: number | undefined,
    rule: string | undefined,
    statements: readonly StatementInfo[] = [],
  ): void {
    this.queue.push({ kind: 'execute', rowsOver, rule, rows: 0, approved: false, statements });
  }

  sync(): void {
    this.queue.push({ kind: 'sync' });
  }

  /** The result the next DataRow belongs to. */
  current(): PendingResult | undefined {
    const entry = this.queue[this.head];
    return entry === undefined || entry.kind === 'sync' ? undefined : entry;
  }

  /** CommandComplete, EmptyQueryResponse or PortalSuspended: a result ended. */
  resultDone(suspended: boolean): void {
    const entry = this.current();
    if (entry === undefined) return;
    if (entry.kind === 'execute') {
      // A suspended portal continues with the next Execute: carry its count over, so fetching
      // in small batches does not reset the threshold.
      const next = this.queue[this.head + 1];
      if (suspended && next?.kind === 'execute') {
        next.rows = entry.rows;
        next.approved ||= entry.approved;
      }
      this.shift();
      return;
    }
    entry.rows = 0;
  }

  /** An ErrorResponse: extended query skips to its Sync; a Query ends at ReadyForQuery. */
  error(): void {
    for (let e = this.queue[this.head]; e?.kind === 'execute'; e = this.queue[this.head]) {
      this.shift();
    }
  }

  readyForQuery(): void {
    const entry = this.queue[this.head];
    if (entry?.kind === 'sync' || entry?.kind === 'query') this.shift();
  }

  private shift(): void {
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
