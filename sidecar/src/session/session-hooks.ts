import type { StatementClass } from '@portcullis/crds';
import type { Decision } from '../policy/decision.js';

/*
 * The seams to the statement and masking modules (see the sidecar contracts). The session
 * only relies on these shapes; the modules provide implementations through SessionHooks.
 */

/** What the statement module found in one statement. */
export interface StatementInfo {
  class: StatementClass;
  tables: { read: string[]; written: string[] };
  functions: string[];
  hasWhere?: boolean;
}

/** The statement module's answer for a Query or Parse. */
export type Verdict =
  | { action: 'allow' }
  | { action: 'refuse'; rule: string; message: string }
  | { action: 'approve'; rule: string; reason: string };

/** Checks each Query and Parse of one session. */
export interface StatementGate {
  checkQuery(sql: string): { verdict: Verdict; statements: StatementInfo[] };
  checkParse(name: string, sql: string): { verdict: Verdict; statements: StatementInfo[] };
}

/** One result column as RowDescription describes it. */
export interface ResultColumn {
  name: string;
  tableOid: number;
  attnum: number;
  typeOid: number;
  format: 0 | 1;
}

/** Masks the rows of one result. */
export interface RowMasker {
  /** Null cells stay null; returns the row to send, with the same number of cells. */
  maskRow(cells: (Buffer | null)[]): (Buffer | null)[];
  /** False when nothing in this result needs masking: rows pass without being decoded. */
  readonly active: boolean;
}

/** Builds the per-session statement gate and row maskers from the session's decision. */
export interface SessionHooks {
  /** Called once per session after the decision, before any statement is relayed. */
  statementGate(decision: Decision): StatementGate | Promise<StatementGate>;
  /**
   * Called once per session; returns the factory called with every RowDescription, or
   * undefined when this policy masks nothing (rows then pass untouched).
   */
  rowMaskers(
    decision: Decision,
  ):
    | ((columns: ResultColumn[]) => RowMasker)
    | undefined
    | Promise<((columns: ResultColumn[]) => RowMasker) | undefined>;
}

const allowAll: StatementGate = {
  checkQuery: () => ({ verdict: { action: 'allow' }, statements: [] }),
  checkParse: () => ({ verdict: { action: 'allow' }, statements: [] }),
};

/**
 * Hooks that allow every statement and mask nothing.
 * NOTE: used until the statement and masking modules are wired in; with them absent the
 * gate enforces identity, policy choice and the minted role's own privileges only.
 */
export const passThroughHooks: SessionHooks = {
  statementGate: () => allowAll,
  rowMaskers: () => undefined,
};
