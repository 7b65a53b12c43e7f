import type { ClassificationIndex } from './classification-index.js';
import type { ColumnOrigin } from './column-catalog.js';
import type { OutputItem, StatementLineage } from './lineage/lineage-types.js';

/** How one result column relates to classified data. */
export type ColumnVerdict =
  /** A classified column's value as stored: its rule's strategy applies as written. */
  | { lineage: 'plain'; kinds: ReadonlySet<string> }
  /** Computed from classified columns, or of unknown lineage in a statement that reads some. */
  | { lineage: 'derived'; kinds: ReadonlySet<string> }
  /** Nothing classified flows into it. */
  | { lineage: 'unrelated' };

/** What the verdicts need from the catalog: column origins by table OID and attnum. */
export interface OriginLookup {
  origin(tableOid: number, attnum: number): ColumnOrigin | undefined;
}

/** A result column's origin as RowDescription gives it (0 and 0 when it has none). */
export interface FieldOrigin {
  tableOid: number;
  attnum: number;
}

const UNRELATED: ColumnVerdict = { lineage: 'unrelated' };

/**
 * NOTE: classification follows the relation a query names: a partition or inheritance child
 * read through an unclassified parent, and copies of classified data into other tables
 * (CREATE TABLE AS, INSERT ... SELECT), are not classified; guardrails must deny such writes.
 *
 * Combines the two views of a result: the origin PostgreSQL reports per field (exact, but only
 * for plain column references; 0 otherwise) and the lineage worked out from the statement. A
 * field PostgreSQL gives an origin for is a stored column as is; every other field takes its
 * lineage, and where that is unknown, every kind the statement's relations carry (fail closed).
 */
export function columnVerdicts(
  fields: readonly FieldOrigin[],
  lineage: StatementLineage | undefined,
  classification: ClassificationIndex,
  catalog: OriginLookup,
): ColumnVerdict[] {
  const opaque = lineage === undefined || lineage.opaque || lineage.output === undefined;
  const touched = opaque
    ? classification.kinds
    : classification.kindsOfRelations(lineage.relations);
  const items = alignOutput(lineage?.output, fields.length);

  return fields.map((field, i) => {
    const origin = field.tableOid !== 0 ? catalog.origin(field.tableOid, field.attnum) : undefined;
    const originKinds =
      origin !== undefined ? classification.kindsOf([sourceOf(origin)]) : new Set<string>();
    const item = items[i];
    // An origin the catalog does not know (a table created since it was read): fail closed.
    const originUnknown = field.tableOid !== 0 && origin === undefined;

    // PostgreSQL names an origin only for a column referenced as is: a table's column is then
    // stored data, but a view's column may be computed by the view.
    const opaqueItem = item === undefined || item.kind === 'unknown' || item.kind === 'spread';
    if (origin !== undefined && !origin.view && opaqueItem) return plain(originKinds);
    if (item === undefined || item.kind === 'unknown') {
      const kinds = classification.kindsOf(item?.sources ?? [], new Set(touched));
      return kinds.size > 0 ? { lineage: 'derived', kinds } : UNRELATED;
    }
    if (item.kind === 'spread') {
      // Function results and the like: their sources are complete, only their width is not.
      const kinds = classification.kindsOf(item.sources);
      return kinds.size > 0 ? { lineage: 'derived', kinds } : UNRELATED;
    }

    const sourceKinds = classification.kindsOf(item.sources);
    if (originUnknown && sourceKinds.size === 0 && touched.size > 0) {
      return { lineage: 'derived', kinds: touched };
    }
    if (item.kind === 'column') return plain(classification.kindsOf(item.sources, originKinds));
    if (sourceKinds.size > 0)
      return { lineage: 'derived', kinds: new Set([...sourceKinds, ...originKinds]) };
    return plain(originKinds);
  });
}

function plain(kinds: ReadonlySet<string>): ColumnVerdict {
  return kinds.size > 0 ? { lineage: 'plain', kinds } : UNRELATED;
}

function sourceOf(origin: ColumnOrigin): string {
  return `${origin.schema}.${origin.table}.${origin.column}`;
}

/**
 * The lineage of each of `width` result columns: the output items in order, a spread of
 * unknown width stretched to fill what the other items leave. Undefined entries where the
 * shape does not fit (more than one spread, or a count that does not add up).
 */
export function alignOutput(
  output: readonly OutputItem[] | undefined,
  width: number,
): (OutputItem | undefined)[] {
  const unknown = (): undefined[] => new Array<undefined>(width).fill(undefined);
  if (output === undefined) return unknown();
  const spreads = output.filter((o) => o.kind === 'spread').length;
  if (spreads === 0) return output.length === width ? [...output] : unknown();
  if (spreads > 1) return unknown();

  const spreadWidth = width - (output.length - 1);
  if (spreadWidth < 0) return unknown();
  return output.flatMap((o) =>
    o.kind === 'spread' ? new Array<OutputItem>(spreadWidth).fill(o) : [o],
  );
}
