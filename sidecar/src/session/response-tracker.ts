import type { RowColumn } from '../wire/backend-decoders.js';
import type { RowMasker, RowMaskerFactory } from './session-hooks.js';

/** A response the server owes for a message the client sent, in order. */
type Expected =
  | { kind: 'query'; statements: readonly unknown[]; completed: number }
  | { kind: 'sync' }
  | { kind: 'describe'; portal: string | undefined; injected: boolean }
  | { kind: 'execute'; portal: string };

/**
 * Follows which result each RowDescription and DataRow belongs to, so that every row is
 * masked by the masker of its own result, also when a client pipelines several portals. The
 * server answers in the order it was asked; after an error in extended query it skips to the
 * next Sync. Disabled (every call returns at once) when the policy masks nothing.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
export class ResponseTracker {
  private queue: Expected[] = [];
  private head = 0;
  private readonly portalMaskers = new Map<string, RowMasker>();
  /** The statement each portal was bound to, for planning its result. */
  private readonly portalStatements = new Map<string, unknown>();
  private queryMasker: RowMasker | undefined;

  constructor(private readonly maskers: RowMaskerFactory | undefined) {}

  get enabled(): boolean {
    return this.maskers !== undefined;
  }

  /**
   * A Query, or a FunctionCall: answered up to a ReadyForQuery. statements are the Query's
   * own, in order: the n-th result belongs to the statement after n CommandCompletes.
   */
  query(statements: readonly unknown[] = []): void {
    this.push({ kind: 'query', statements, completed: 0 });
  }

  sync(): void {
    this.push({ kind: 'sync' });
  }

  /** Bind (re)defines the portal: its earlier description no longer applies. */
  bind(portal: string, statement?: unknown): void {
    this.portalMaskers.delete(portal);
    if (statement === undefined) this.portalStatements.delete(portal);
    else this.portalStatements.set(portal, statement);
  }

  closePortal(portal: string): void {
    this.portalMaskers.delete(portal);
    this.portalStatements.delete(portal);
  }

  /** A Describe of a portal; injected when the gate sent it itself and must swallow the answer. */
  describePortal(portal: string, injected = false): void {
    this.push({ kind: 'describe', portal, injected });
  }

  describeStatement(): void {
    this.push({ kind: 'describe', portal: undefined, injected: false });
  }

  execute(portal: string): void {
    this.push({ kind: 'execute', portal });
  }

  /** Must the gate describe this portal itself before executing it? */
  needsDescribe(portal: string): boolean {
    return this.enabled && !this.portalMaskers.has(portal);
  }

  /**
   * A RowDescription arrived; returns whether to relay it (false for an injected Describe).
   * The masker factory may throw (a result the policy refuses); the answer is then unchanged.
   */
  rowDescription(columns: RowColumn[]): boolean {
    if (!this.maskers) return true;
    const next = this.peek();
    if (next?.kind !== 'describe') {
      const statement = next?.kind === 'query' ? next.statements[next.completed] : undefined;
      this.queryMasker = undefined;
      this.queryMasker = this.maskers(columns, statement);
      return true;
    }
    this.shift();
    // A statement's description has no result formats yet: the portal's own one counts.
    if (next.portal !== undefined) {
      this.portalMaskers.delete(next.portal);
      const masker = this.maskers(columns, this.portalStatements.get(next.portal));
      this.portalMaskers.set(next.portal, masker);
    }
    return !next.injected;
  }

  /** A NoData arrived; returns whether to relay it. */
  noData(): boolean {
    const next = this.peek();
    if (next?.kind !== 'describe') return true;
    this.shift();
    return !next.injected;
  }

  /** The statement now answering: the Query's current one, or the executing portal's. */
  currentStatement(): unknown {
    const next = this.peek();
    if (next?.kind === 'query') return next.statements[next.completed];
    if (next?.kind === 'execute') return this.portalStatements.get(next.portal);
    return undefined;
  }

  /** The masker of the result a DataRow belongs to. */
  maskerForRow(): RowMasker | undefined {
    const next = this.peek();
    if (next?.kind === 'execute') return this.portalMaskers.get(next.portal);
    return this.queryMasker;
  }

  /** CommandComplete, EmptyQueryResponse or PortalSuspended: an Execute or a statement is done. */
  executeDone(): void {
    const next = this.peek();
    if (next?.kind === 'execute') this.shift();
    else if (next?.kind === 'query') {
      next.completed++;
      this.queryMasker = undefined;
    }
  }

  /** An ErrorResponse: in extended query the server now skips to the next Sync. */
  error(): void {
    for (let next = this.peek(); next && next.kind !== 'sync' && next.kind !== 'query';) {
      this.shift();
      next = this.peek();
    }
  }

  readyForQuery(): void {
    this.queryMasker = undefined;
    const next = this.peek();
    if (next?.kind === 'sync' || next?.kind === 'query') this.shift();
  }

  private push(expected: Expected): void {
    if (this.enabled) this.queue.push(expected);
  }

  private peek(): Expected | undefined {
    return this.queue[this.head];
  }

  private shift(): void {
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
