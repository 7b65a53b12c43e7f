// Masking of result rows in flight: by column origin, by lineage worked out from the parse
// tree, and by value detectors. The session calls, in order: SessionMasking.init() once;
// maskingSettings() per decision; new SessionMasking() per session; prepareQuery()/
// prepareParse() per message; planResult() per RowDescription and planCopy() per
// CopyOutResponse; maskRow()/maskData() per row; takeCounts() for metrics; invalidate() on DDL.
export { buildCellMask, type CellMask } from './cell-masks.js';
export { ClassificationIndex } from './classification-index.js';
export {
  CatalogError,
  ColumnCatalog,
  type CatalogQuery,
  type ColumnOrigin,
} from './column-catalog.js';
export { columnVerdicts, type ColumnVerdict } from './column-verdicts.js';
export { copyFormat, type CopyFormat } from './copy-format.js';
export { CopyRowError, type CopyOutMasker } from './copy-out-masker.js';
export { planCopyOut, type CopyPlan } from './copy-plan.js';
export { DETECTORS, type DetectorFn, type Match } from './detectors/index.js';
export { HashKeyError, resolveHashKey } from './hash-key.js';
export type { ColumnLineage, OutputItem, StatementLineage } from './lineage/lineage-types.js';
export {
  statementLineage,
  type AnalysedStatement,
  type NamedLineages,
} from './lineage/statement-lineage.js';
export {
  checkStatement,
  maskingSettings,
  planRows,
  type MaskingPlan,
  type MaskingSettings,
  type Refusal,
} from './result-plan.js';
export {
  PASS_THROUGH,
  ResultMasker,
  RowShapeError,
  type MaskedColumn,
  type ResultColumn,
  type RowMasker,
  type RuleCount,
} from './row-masker.js';
export {
  SessionMasking,
  StatementParseError,
  type MaskedStatement,
  type PreparedMasking,
  type SessionMaskingOptions,
} from './session-masking.js';
export { refusalError } from './refusal-error.js';
export { scrubServerText } from './server-text-scrubber.js';
export { hashText, partialMask, REDACTED } from './strategies.js';
