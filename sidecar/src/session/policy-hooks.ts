import { ParseCache } from '../statements/parse-cache.js';
import { createStatementGate } from '../statements/statement-gate.js';
import { initStatementParser } from '../statements/statement-parser.js';
import type { SessionHooks } from './session-hooks.js';

/**
 * The production hooks: every Query, Parse, Bind and FunctionCall checked by the statements
 * module against the session's policy, with one parse cache shared by all sessions.
 * NOTE: result masking is not wired in yet (rowMaskers returns undefined): the masking
 * module's planner needs the catalog (column origins by table OID) and each result's
 * statement lineage, which the session does not supply to it yet. Rows pass unmasked.
 */
export function policyHooks(cache = new ParseCache()): SessionHooks {
  return {
    statementGate: async (decision) => {
      await initStatementParser();
      return createStatementGate(decision.policy, { cache });
    },
    rowMaskers: () => undefined,
  };
}
