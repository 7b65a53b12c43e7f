import type { Logger } from 'pino';
import type { RoleMinter } from '../credentials/role-minter.js';
import type { SessionMasking } from '../masking/session-masking.js';
import type { Decision } from '../policy/decision.js';
import type { PolicySnapshot } from '../policy/policy-source.js';
import type { ResultColumn, RowMasker } from '../masking/row-masker.js';
import type { PolicyStatementGate, StatementGate } from '../statements/statement-gate.js';
import type { StatementInfo, Verdict } from '../statements/statement-info.js';

export type { ResultColumn, RowMasker, StatementGate, StatementInfo, Verdict };

/**
 * The statement gate as the session uses it: the contract's two checks, plus the optional
 * ones of the statements module's per-policy gate (prepared statements, FunctionCall).
 */
export type SessionStatementGate = StatementGate &
  Partial<Pick<PolicyStatementGate, 'checkExecute' | 'closeStatement' | 'checkFunctionCall'>>;

/**
 * Builds a masker for one result from its columns. statement is what the session knows of
 * the statement the result belongs to (opaque here; the masking module's MaskedStatement).
 */
export type RowMaskerFactory = (columns: ResultColumn[], statement?: unknown) => RowMasker;

/** What building a session's masking may use besides the decision. */
export interface MaskingContext {
  snapshot: PolicySnapshot;
  /** The DataSource's minter: its pool answers the catalog queries of column origins. */
  minter: RoleMinter;
  logger: Logger;
}

/** What building a session's statement gate may use besides the decision. */
export interface StatementGateContext {
  /** The DataSource's minter: its pool reads which tables each view reads. */
  minter: RoleMinter;
}

/** Builds the per-session statement gate and row maskers from the session's decision. */
export interface SessionHooks {
  /**
   * Called once per session after the decision, before any statement is relayed; a failure
   * ends the session (nothing is relayed unchecked).
   */
  statementGate(
    decision: Decision,
    context: StatementGateContext,
  ): SessionStatementGate | Promise<SessionStatementGate>;
  /**
   * Called once per session; returns the factory called with every RowDescription, or
   * undefined when this policy masks nothing (rows then pass untouched, undecoded).
   */
  rowMaskers(
    decision: Decision,
  ): RowMaskerFactory | undefined | Promise<RowMaskerFactory | undefined>;
  /**
   * Called once per session; the masking module's per-session masking, or undefined when
   * the policy masks nothing. When set it replaces rowMaskers: every Query and Parse is
   * analysed before it is relayed, and every result planned from its own statement.
   */
  masking?(decision: Decision, context: MaskingContext): Promise<SessionMasking | undefined>;
}

const allowAll: StatementGate = {
  checkQuery: () => ({ verdict: { action: 'allow' }, statements: [] }),
  checkParse: () => ({ verdict: { action: 'allow' }, statements: [] }),
};

/**
 * Hooks that allow every statement and mask nothing: the gate then enforces identity, the
 * policy choice and the minted role's own privileges only. For tests of the relay itself.
 */
export const passThroughHooks: SessionHooks = {
  statementGate: () => allowAll,
  rowMaskers: () => undefined,
};
