import type { AccessPolicy, DataSource, Masking } from '@portcullis/crds';
import { buildCellMask, type CellMask } from './cell-masks.js';
import { ClassificationIndex } from './classification-index.js';
import {
  alignOutput,
  columnVerdicts,
  type ColumnVerdict,
  type OriginLookup,
} from './column-verdicts.js';
import { buildDetectorMask, type DetectorRule } from './detector-mask.js';
import { ANY_SOURCE, type OutputItem, type StatementLineage } from './lineage/lineage-types.js';
import { derivedStrategy, indexRules, ruleForKinds, type IndexedRule } from './masking-rules.js';
import { typeClass } from './pg-types.js';
import {
  ResultMasker,
  type ColumnAction,
  type MaskedColumn,
  type ResultColumn,
} from './row-masker.js';

/** One policy's masking for one DataSource, prepared once per session (or per policy change). */
export interface MaskingSettings {
  policyName: string;
  masking: Masking;
  rules: readonly IndexedRule[];
  classification: ClassificationIndex;
  /** Key of the hash strategy: the policy's hashKeySecretRef, else one per sidecar. */
  hashKey: Buffer;
}

/** Why a statement may not run, for a GateError 42501 naming the policy and rule. */
export interface Refusal {
  rule: string;
  message: string;
}

/** What to do with a result: mask its rows (maybe not at all), or refuse the statement. */
export type MaskingPlan =
  { action: 'mask'; masker: ResultMasker } | { action: 'refuse'; refusal: Refusal };

/** The masking settings of a decision; `enabled` is false when the policy masks nothing. */
export function maskingSettings(
  policy: AccessPolicy,
  dataSource: DataSource,
  hashKey: Buffer,
): MaskingSettings & { enabled: boolean } {
  const masking = policy.spec.masking;
  const classification = new ClassificationIndex(dataSource.spec.classification);
  const rules = indexRules(masking);
  const byKind = rules.some((r) => r.rule.classification !== undefined && !classification.empty);
  const byValue = rules.some((r) => r.rule.detector !== undefined);
  return {
    policyName: policy.metadata.name,
    masking,
    rules,
    classification,
    hashKey,
    enabled: byKind || byValue,
  };
}

/** The catalog as planning reads it. */
export interface PlanCatalog extends OriginLookup {
  /** OIDs of non-built-in string types (citext, domains over text), when known. */
  textTypes(): ReadonlySet<number>;
}

/**
 * Builds the masker for one result (one RowDescription) or the refusal the policy asks for.
 * `lineage` is the statement's, as statementLineage() found it; undefined when the caller cannot
 * tell which statement the result belongs to, which masks every column of unknown lineage.
 */
export function planRows(
  settings: MaskingSettings,
  columns: readonly ResultColumn[],
  lineage: StatementLineage | undefined,
  catalog: PlanCatalog,
): MaskingPlan {
  const verdicts = columnVerdicts(columns, lineage, settings.classification, catalog);
  const items = alignOutput(lineage?.output, columns.length);
  const textTypes = catalog.textTypes();
  const counts = new Uint32Array(settings.rules.length);
  const actions: ColumnAction[] = [];
  const masked: MaskedColumn[] = [];

  for (const [index, column] of columns.entries()) {
    const verdict = verdicts[index]!;
    const type = typeClass(column.typeOid, textTypes);
    const rule =
      verdict.lineage === 'unrelated' ? undefined : ruleForKinds(settings.rules, verdict.kinds);

    if (rule !== undefined && verdict.lineage !== 'unrelated') {
      if (verdict.lineage === 'derived' && settings.masking.derived === 'refuse') {
        return refuse(settings, rule, derivedMessage(column.name, verdict));
      }
      const strategy =
        verdict.lineage === 'derived' ? derivedStrategy(rule.rule.strategy) : rule.rule.strategy;
      let mask: CellMask | undefined = buildCellMask({
        strategy,
        type,
        format: column.format,
        hashKey: settings.hashKey,
      });
      if (mask === undefined && column.format === 1 && settings.masking.binary === 'refuse') {
        return refuse(settings, rule, binaryMessage(column.name));
      }
      // NOTE: a masked value that its type cannot hold (a redacted int, any binary non-text
      // value) is sent as NULL; see buildCellMask for the decisions by type.
      mask ??= () => null;
      actions.push({ index, mask, rule: rule.index });
      masked.push({ index, name: column.name, rule: rule.label, lineage: verdict.lineage });
      continue;
    }

    const detectors = detectorRules(settings, columnSources(catalog, column, items[index]), counts);
    const mask = buildDetectorMask(detectors, type, column.format, settings.hashKey);
    if (mask === undefined) continue;
    actions.push({ index, mask, rule: -1 });
    const label = detectors.map((d) => d.rule.label).join(', ');
    masked.push({ index, name: column.name, rule: label, lineage: 'detector' });
  }

  const labels = settings.rules.map((r) => r.label);
  return {
    action: 'mask',
    masker: new ResultMasker(columns.length, actions, labels, counts, masked),
  };
}

/**
 * Refuses a statement before it runs when masking.derived is `refuse` and the statement's
 * lineage already shows a result column computed from classified data. Results whose lineage
 * only the RowDescription settles are decided by planRows.
 */
export function checkStatement(
  settings: MaskingSettings,
  lineage: StatementLineage,
): Refusal | undefined {
  if (settings.masking.derived !== 'refuse' || lineage.output === undefined) return undefined;
  const touched = settings.classification.kindsOfRelations(lineage.relations);
  for (const item of lineage.output) {
    if (item.kind === 'column' || (item.kind === 'spread' && item.baseTable)) continue;
    const kinds = settings.classification.kindsOf(
      item.sources,
      item.kind === 'unknown' ? new Set(touched) : undefined,
    );
    const rule = ruleForKinds(settings.rules, kinds);
    if (rule === undefined) continue;
    const name = item.kind === 'spread' ? '*' : (item.name ?? '?column?');
    return refusal(settings, rule, derivedMessage(name, { lineage: 'derived', kinds }));
  }
  return undefined;
}

/**
 * Refuses a statement that writes data of a classification the policy masks into a column
 * not classified so, whatever masking.derived says: read back later, by any statement of any
 * session, the copy would not be masked. Writing it back where it came from (a column of the
 * same classification) is fine.
 */
export function checkWrites(
  settings: MaskingSettings,
  lineage: StatementLineage,
): Refusal | undefined {
  const { writes } = lineage;
  if (writes === undefined || settings.classification.empty) return undefined;
  const touched = settings.classification.kindsOfRelations(lineage.relations);
  for (const { target, value } of writes) {
    const kinds = settings.classification.kindsOf(
      value.sources,
      value.kind === 'unknown' ? new Set(touched) : undefined,
    );
    if (kinds.size === 0) continue;
    const held = settings.classification.kindsOf(target);
    const escaping = new Set([...kinds].filter((kind) => !held.has(kind)));
    const rule = ruleForKinds(settings.rules, escaping);
    if (rule === undefined) continue;
    const into = target.map((source) => source.replace(/^\?\./, '')).join(' or ');
    const what = [...escaping].sort().join(', ');
    return refusal(
      settings,
      rule,
      `the statement writes data classified as ${what} into ${into}, which is not classified so: ` +
        'read back, it would not be masked',
    );
  }
  return undefined;
}

function detectorRules(
  settings: MaskingSettings,
  sources: readonly string[],
  counts: Uint32Array,
): DetectorRule[] {
  return settings.rules
    .filter((r) => r.rule.detector !== undefined)
    .filter(
      (r) => r.rule.columns === undefined || r.rule.columns.some((c) => matchesColumn(c, sources)),
    )
    .map((rule) => ({ rule, counts }));
}

// The names a column may carry for a detector rule's `columns`: its origin, and what its
// lineage says it is computed from.
function columnSources(
  catalog: OriginLookup,
  column: ResultColumn,
  item: OutputItem | undefined,
): string[] {
  const origin = column.tableOid !== 0 ? catalog.origin(column.tableOid, column.attnum) : undefined;
  const out = item?.sources.slice() ?? [];
  if (origin !== undefined) out.push(`${origin.schema}.${origin.table}.${origin.column}`);
  return out;
}

function matchesColumn(qualified: string, sources: readonly string[]): boolean {
  const [, table, column] = qualified.split('.');
  return sources.some(
    (s) =>
      s === ANY_SOURCE ||
      s === qualified ||
      s === `?.${table}.${column}` ||
      s === `${qualified.slice(0, qualified.lastIndexOf('.'))}.*` ||
      s === `?.${table}.*`,
  );
}

function derivedMessage(column: string, verdict: ColumnVerdict): string {
  const kinds = verdict.lineage === 'unrelated' ? '' : [...verdict.kinds].sort().join(', ');
  return `result column "${column}" is computed from data classified as ${kinds}, or its origin cannot be told`;
}

function binaryMessage(column: string): string {
  return `result column "${column}" must be masked but is requested in binary format`;
}

function refusal(settings: MaskingSettings, rule: IndexedRule, detail: string): Refusal {
  return {
    rule: rule.label,
    message: `statement refused by AccessPolicy ${settings.policyName}, ${rule.label}: ${detail}`,
  };
}

function refuse(settings: MaskingSettings, rule: IndexedRule, detail: string): MaskingPlan {
  return { action: 'refuse', refusal: refusal(settings, rule, detail) };
}
