/*
 * Understanding statements: libpg-query's parse tree, classified, checked against a policy's
 * guardrails and approval rules. Use:
 *   await initStatementParser();                     // once per process
 *   const cache = new ParseCache();                  // once per process, shared by sessions
 *   const gate = createStatementGate(policy, { cache, viewTables });   // once per session
 *   gate.checkQuery(sql) on Query, gate.checkParse(name, sql) on Parse,
 *   gate.checkExecute(name) on Bind, gate.closeStatement(name) on Close of a statement,
 *   gate.checkFunctionCall() on FunctionCall; a refuse verdict answers with verdict.sqlstate
 *   (42501 when absent) and verdict.message.
 * The gate parses as the server does only with client_encoding UTF8 and
 * standard_conforming_strings on: it refuses statements that change them, and the session
 * must hold them so from the startup packet on (see parser-settings.ts).
 */
export { approvalFor, rowThreshold, type RowThreshold } from './approval-rules.js';
export { CLASS_PRECEDENCE } from './command-classes.js';
export {
  DANGEROUS_FUNCTIONS,
  dangerousFunction,
  type DangerousFunction,
} from './dangerous-functions.js';
export { compileGuardrails, type GuardrailCheck } from './guardrails.js';
export { ParseCache, type ParseCacheOptions, type ParseCacheStats } from './parse-cache.js';
export { PARSER_SETTINGS, parserSettingProblem } from './parser-settings.js';
export { policyName } from './refusal-message.js';
export { classifyStatement } from './statement-classifier.js';
export {
  checkFunctionCall,
  createStatementGate,
  type GateCheck,
  type PolicyStatementGate,
  type StatementGate,
  type StatementGateOptions,
} from './statement-gate.js';
export { ALLOW, type StatementInfo, type TableAccess, type Verdict } from './statement-info.js';
export {
  initStatementParser,
  parseStatements,
  ParserNotReadyError,
  type ParsedStatement,
  type ParseOutcome,
} from './statement-parser.js';
export { ClassifyError } from './tree-walker.js';
export { VIEW_TABLES_SQL, ViewTables, type ViewTableRow } from './view-tables.js';
