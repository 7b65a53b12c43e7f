export { approvalFor, rowThreshold, type RowThreshold } from './approval-rules.js';
export { CLASS_PRECEDENCE } from './command-classes.js';
export {
  DANGEROUS_FUNCTIONS,
  dangerousFunction,
  type DangerousFunction,
} from './dangerous-functions.js';
export { compileGuardrails, type GuardrailCheck } from './guardrails.js';
export { ParseCache, type ParseCacheOptions, type ParseCacheStats } from './parse-cache.js';
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
