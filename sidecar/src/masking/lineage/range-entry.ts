import type { ColumnLineage, OutputItem, RelationShape, Source } from './lineage-types.js';

/** One relation in a FROM clause (table, subquery, CTE, function, join) as name lookups see it. */
export interface RangeEntry {
  /** The name it is referred by: its alias, else the relation name. */
  name: string;
  /** The schema of a table referred to without alias, for `schema.table.column`. */
  schema?: string;
  /** Its columns in order, or undefined when they are not known. */
  columns: readonly NamedLineage[] | undefined;
  /** The sources of the whole row (`row_to_json(c)`, `c.*` inside an expression). */
  wholeRow: Source[];
  /** Lineage of a column by name when `columns` is undefined: a guess over the relation. */
  guess(column: string): ColumnLineage;
  /** Whether `*` over it yields stored columns only (tables and views). */
  baseTable: boolean;
}

/** A column of a range entry. */
export interface NamedLineage {
  name: string;
  lineage: ColumnLineage;
}

/** The lineage of a column of this entry by name; undefined when it surely has no such column. */
export function entryColumn(entry: RangeEntry, column: string): ColumnLineage | undefined {
  if (entry.columns === undefined) return entry.guess(column);
  const hits = entry.columns.filter((c) => c.name === column);
  if (hits.length <= 1) return hits[0]?.lineage;
  return { kind: 'unknown', sources: union(hits.map((h) => h.lineage.sources)) };
}

/** A table, view or other stored relation, with its columns when the catalog knows them. */
export function tableEntry(
  schema: string | undefined,
  relname: string,
  alias: string | undefined,
  aliasColumns: string[],
  shapes: readonly RelationShape[] | undefined,
): RangeEntry {
  const qualifiers = shapes !== undefined && shapes.length > 0 ? shapes : undefined;
  const prefixes = qualifiers?.map((s) => `${s.schema}.${s.name}`) ?? [
    `${schema ?? '?'}.${relname}`,
  ];
  const single = qualifiers?.length === 1 ? qualifiers[0] : undefined;

  const columns = single?.columns.map((c, i) => ({
    name: aliasColumns[i] ?? c.name,
    lineage: { kind: 'column', sources: [`${prefixes[0]!}.${c.name}`] } satisfies ColumnLineage,
  }));
  const guess = (column: string): ColumnLineage => {
    // Alias column names rename positions, which are unknown without the catalog's list.
    if (aliasColumns.length > 0) return { kind: 'unknown', sources: prefixes.map((p) => `${p}.*`) };
    return { kind: 'column', sources: prefixes.map((p) => `${p}.${column}`) };
  };
  return {
    name: alias ?? relname,
    ...(alias === undefined && schema !== undefined ? { schema } : {}),
    columns,
    wholeRow: prefixes.map((p) => `${p}.*`),
    guess,
    baseTable: true,
  };
}

/** A subquery, CTE or function result: its columns are the output of something analysed. */
export function derivedEntry(
  name: string,
  output: readonly OutputItem[],
  aliasColumns: string[],
): RangeEntry {
  const all = union(output.map((o) => o.sources));
  let columns: NamedLineage[] | undefined = [];
  for (const [i, o] of output.entries()) {
    if (o.kind === 'spread') {
      columns = undefined;
      break;
    }
    columns.push({ name: aliasColumns[i] ?? o.name ?? '?column?', lineage: o });
  }
  return {
    name,
    columns,
    wholeRow: all,
    guess: () => ({ kind: 'unknown', sources: all }),
    baseTable: false,
  };
}

/** Sources of several lineages, without duplicates. */
export function union(lists: readonly (readonly Source[])[]): Source[] {
  const seen = new Set<Source>();
  for (const list of lists) for (const s of list) seen.add(s);
  return [...seen];
}
