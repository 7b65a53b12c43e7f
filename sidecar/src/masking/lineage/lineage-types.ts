/**
 * Where a value comes from, as column names `schema.table.column`; `schema.table.*` stands for
 * a whole row, and the schema is `?` when the statement left it unqualified and the catalog could
 * not tell which schema it is in (it matches a classified column in any schema).
 */
export type Source = string;

/** Lineage of one result column. */
export type ColumnLineage =
  /** The value is a stored column as is (one of `sources`, when the name is ambiguous). */
  | { kind: 'column'; sources: Source[] }
  /** The value is computed from `sources` (empty: from constants and unrelated functions). */
  | { kind: 'computed'; sources: Source[] }
  /** The analysis cannot tell; `sources` are what it may come from, possibly incomplete. */
  | { kind: 'unknown'; sources: Source[] };

/**
 * A run of result columns of unknown number, from `*` over a relation whose columns are not
 * known; `baseTable` when every column of the run is a stored column of a table or view.
 */
export interface ColumnSpread {
  kind: 'spread';
  sources: Source[];
  baseTable: boolean;
}

/** One item of a result's shape: one column, or a spread of several. */
export type OutputItem = (ColumnLineage & { name?: string }) | ColumnSpread;

/** What a statement's result is made of, worked out from its parse tree. */
export interface StatementLineage {
  /** Result columns in order; undefined when the statement returns no rows the gate can see. */
  output: OutputItem[] | undefined;
  /** Every relation the statement names, as `schema.table` (`?.table` when unqualified). */
  relations: string[];
  /**
   * The result comes from something the parse tree does not show (FETCH from a cursor, EXECUTE
   * of a prepared statement, CALL): every column is of unknown lineage.
   */
  opaque: boolean;
}

/** The column name list of one relation, in attnum order, as the catalog holds it. */
export interface RelationShape {
  schema: string;
  name: string;
  columns: readonly { name: string; typeOid: number }[];
  /**
   * For a view or materialized view: its defining query's parse tree node, whose lineage its
   * columns take; null when the definition could not be read or parsed (fail closed).
   */
  view?: unknown;
}

/** The catalog as lineage analysis reads it: synchronous, filled by the caller beforehand. */
export interface RelationLookup {
  /**
   * The relations a name may denote: one for a qualified name, possibly several for an
   * unqualified one (any schema). Undefined or empty when unknown to the catalog.
   */
  lookup(schema: string | undefined, name: string): readonly RelationShape[] | undefined;
}
