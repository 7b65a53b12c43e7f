/**
 * Where a value comes from, as column names `schema.table.column`; `schema.table.*` stands for
 * a whole row, and the schema is `?` when the statement left it unqualified and the catalog could
 * not tell which schema it is in (it matches a classified column in any schema). ANY_SOURCE
 * stands for every classified column.
 */
export type Source = string;

/** A value that may come from any column at all: a call whose body cannot be seen through. */
export const ANY_SOURCE: Source = '*.*.*';

/** In StatementLineage.relations: the statement may read any relation (an opaque call). */
export const ANY_RELATION = '*.*';

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
  /**
   * INSERT, UPDATE and MERGE: each value written, the column it goes into and where it comes
   * from. Data copied from a classified column into an unclassified one would read back
   * unmasked.
   */
  writes?: readonly WriteFlow[];
}

/** One value a statement writes: the column it goes into, and what it is computed from. */
export interface WriteFlow {
  /** The target column as a source (`schema.table.column`), or the table's whole row. */
  target: Source[];
  value: ColumnLineage;
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

/**
 * One overload of a function outside pg_catalog and information_schema, as the catalog holds
 * it (pg_proc).
 */
export interface FunctionShape {
  schema: string;
  name: string;
  /** pg_language.lanname: sql, plpgsql, c, internal ... */
  language: string;
  /** Names of its input parameters in order, '' for an unnamed one. */
  parameters: readonly string[];
  /**
   * Names of its result columns (OUT or TABLE parameters, or the columns of a composite
   * return type); undefined for a scalar result.
   */
  resultColumns?: readonly string[];
  /**
   * For a SQL function that can be seen through: the parse tree node of what it returns (a
   * SELECT, an INSERT/UPDATE/DELETE/MERGE ... RETURNING, or a ReturnStmt). Null for any other
   * language, a body that does not parse, or one that does more than compute its result.
   */
  body: unknown;
}

/** The catalog as lineage analysis reads it: synchronous, filled by the caller beforehand. */
export interface RelationLookup {
  /**
   * The relations a name may denote: one for a qualified name, possibly several for an
   * unqualified one (any schema). Undefined or empty when unknown to the catalog.
   */
  lookup(schema: string | undefined, name: string): readonly RelationShape[] | undefined;
  /**
   * The user-defined overloads a function name may denote (every schema's, for an unqualified
   * name: the session's search_path is not known). Empty for a built-in function (pg_catalog
   * or information_schema only); undefined when the catalog does not know the name.
   */
  functions(schema: string | undefined, name: string): readonly FunctionShape[] | undefined;
}
