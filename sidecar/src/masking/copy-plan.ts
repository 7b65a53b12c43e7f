import { alignOutput } from './column-verdicts.js';
import { copyFormat } from './copy-format.js';
import { copyOutMasker, type CopyOutMasker } from './copy-out-masker.js';
import type { RelationLookup, StatementLineage } from './lineage/lineage-types.js';
import { planRows, type MaskingSettings, type PlanCatalog, type Refusal } from './result-plan.js';
import type { ResultColumn } from './row-masker.js';

/** What to do with a COPY ... TO STDOUT: mask its CopyData rows, or refuse it. */
export type CopyPlan =
  { action: 'mask'; masker: CopyOutMasker } | { action: 'refuse'; refusal: Refusal };

/**
 * Builds the masker for the rows of a COPY ... TO STDOUT, from the CopyStmt parse node, its
 * lineage and the column count of CopyOutResponse. COPY sends no RowDescription, so origins come
 * from lineage alone, and column types from the catalog for plain columns.
 * NOTE: a masked computed column's type is unknown in COPY, so it is written as NULL (which
 * every type accepts) even where a text mask would have fitted.
 */
export function planCopyOut(
  settings: MaskingSettings,
  copyStmt: unknown,
  lineage: StatementLineage,
  catalog: PlanCatalog & RelationLookup,
  columnCount: number,
): CopyPlan {
  const format = copyFormat(copyStmt);
  const items = alignOutput(lineage.output, columnCount);
  const columns = items.map((item, i): ResultColumn => {
    const name = item !== undefined && item.kind !== 'spread' ? (item.name ?? '') : '';
    const typeOid = item?.kind === 'column' ? columnType(catalog, item.sources) : 0;
    const formatCode = format.format === 'binary' ? 1 : 0;
    return { name: name || `column${i + 1}`, tableOid: 0, attnum: 0, typeOid, format: formatCode };
  });

  const plan = planRows(settings, columns, lineage, catalog);
  if (plan.action === 'refuse') return plan;
  return { action: 'mask', masker: copyOutMasker(format, plan.masker) };
}

// The type of a plain column, when every source it may be agrees on one.
function columnType(catalog: RelationLookup, sources: readonly string[]): number {
  const types = new Set<number>();
  for (const source of sources) {
    const [schema, table, column] = source.split('.') as [string, string, string];
    const shapes = catalog.lookup(schema === '?' ? undefined : schema, table) ?? [];
    for (const shape of shapes) {
      const found = shape.columns.find((c) => c.name === column);
      types.add(found?.typeOid ?? 0);
    }
  }
  return types.size === 1 ? [...types][0]! : 0;
}
