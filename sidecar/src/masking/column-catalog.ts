import { parseSync } from 'libpg-query';
import { FUNCTIONS_BY_NAME, FUNCTIONS_BY_NAME_BEFORE_14, functionRows } from './function-rows.js';
import { functionNames, SYSTEM_SCHEMAS, type FunctionName } from './lineage/function-names.js';
import type { FunctionShape, RelationLookup, RelationShape } from './lineage/lineage-types.js';
import { relationNames, type RelationName } from './lineage/relation-names.js';
import { parsedStatements } from './lineage/statement-lineage.js';

/**
 * Runs one catalog query on a connection the caller owns and returns its rows. The masking
 * module never opens connections; the session supplies one that may read pg_catalog.
 */
export type CatalogQuery = (
  sql: string,
  params: unknown[],
) => Promise<readonly Record<string, unknown>[]>;

/** A result column's origin resolved to names. */
export interface ColumnOrigin {
  schema: string;
  table: string;
  column: string;
  typeOid: number;
  /** A view's column: its value need not be a stored column as is. */
  view: boolean;
}

/** Raised when the catalog cannot be read; callers fail closed (mask all, or refuse). */
export class CatalogError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CatalogError';
  }
}

// Views on views, and the functions their definitions and function bodies call, are read this
// deep. NOTE: a view nested deeper is analysed as a table, so its computed columns pass as
// plain (a function that deep is unknown, hence opaque).
const VIEW_DEPTH = 8;

interface Relation extends RelationShape {
  oid: number;
  byAttnum: Map<number, { name: string; typeOid: number }>;
}

// Relation kinds a query can read rows from: table, view, materialized view, foreign table,
// partitioned table (pg_class.relkind).
const RELATION_COLUMNS = `
  select c.oid::int8 as oid, n.nspname as schema, c.relname as name,
         a.attnum::int4 as attnum, a.attname as column, a.atttypid::int8 as type_oid,
         case when c.relkind in ('v', 'm') and a.attnum = 1
              then pg_catalog.pg_get_viewdef(c.oid) end as definition,
         c.relkind in ('v', 'm') as is_view
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    left join pg_catalog.pg_attribute a
      on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
   where c.relkind in ('r', 'v', 'm', 'f', 'p') and `;
const BY_OID = `${RELATION_COLUMNS} c.oid = any($1::oid[]) order by c.oid, a.attnum`;
const BY_NAME = `${RELATION_COLUMNS} c.relname = any($1::text[]) order by c.oid, a.attnum`;
// Domains count as their base type; category S is "string types" (pg_type.typcategory).
const STRING_TYPES = `
  select t.oid::int8 as oid
    from pg_catalog.pg_type t
    left join pg_catalog.pg_type b on t.typtype = 'd' and b.oid = t.typbasetype
   where t.oid = any($1::oid[]) and coalesce(b.typcategory, t.typcategory) = 'S'`;

/**
 * Table and column names by OID and by name, and functions by name, for one DataSource, cached
 * until invalidate(). Column origins in RowDescription (table OID, attribute number) resolve
 * through it, and lineage analysis reads table column lists and function bodies from it
 * (RelationLookup).
 */
export class ColumnCatalog implements RelationLookup {
  private relations = new Map<number, Relation>();
  /** The same relations by name, in every schema. */
  private byName = new Map<string, Relation[]>();
  private namesLoaded = new Set<string>();
  /** User-defined overloads by name, in every schema but the system ones. */
  private functionsByName = new Map<string, FunctionShape[]>();
  /** Names that have an overload in pg_catalog or information_schema. */
  private systemFunctions = new Set<string>();
  private functionsLoaded = new Set<string>();
  private typesChecked = new Map<number, boolean>();
  private textTypeSet: ReadonlySet<number> = new Set();
  private generation = 0;
  private changes = 0;
  /** The function query this server answered (readFunctions); kept across invalidate(). */
  private functionQuery: string | undefined;

  /**
   * Changes whenever what the catalog answers may change (a load, invalidate()): an analysis
   * made at one version holds while the version stays the same.
   */
  get version(): number {
    return this.changes;
  }

  /** Forgets everything; the session calls it when DDL has passed on this DataSource. */
  invalidate(): void {
    this.relations = new Map();
    this.byName = new Map();
    this.namesLoaded = new Set();
    this.functionsByName = new Map();
    this.systemFunctions = new Set();
    this.functionsLoaded = new Set();
    this.typesChecked = new Map();
    this.textTypeSet = new Set();
    this.generation++;
    this.changes++;
  }

  /** Has loadNames() read all of these already (so that it would read nothing)? */
  hasNames(names: readonly RelationName[], functions: readonly FunctionName[] = []): boolean {
    return (
      names.every((n) => this.namesLoaded.has(n.name)) &&
      functions.every((f) => this.functionsLoaded.has(f.name) || isSystem(f.schema))
    );
  }

  /** Loads the relations with these OIDs (RowDescription table OIDs; 0 is skipped). */
  async loadOids(query: CatalogQuery, oids: Iterable<number>): Promise<void> {
    const missing = [...new Set(oids)].filter((oid) => oid !== 0 && !this.relations.has(oid));
    if (missing.length === 0) return;
    await this.load(query, BY_OID, missing.map(String));
  }

  /**
   * Loads the relations and functions a statement names, in every schema (unqualified names
   * may be any), then those that the definitions of views and the bodies of SQL functions
   * among them name, down to VIEW_DEPTH levels: at most one query for relations and one for
   * functions per level.
   */
  async loadNames(
    query: CatalogQuery,
    names: readonly RelationName[],
    functions: readonly FunctionName[] = [],
  ): Promise<void> {
    let relations = names.map((n) => n.name);
    let calls = functions.filter((f) => !isSystem(f.schema)).map((f) => f.name);
    for (let depth = 0; depth < VIEW_DEPTH; depth++) {
      const missing = [...new Set(relations)].filter((n) => !this.namesLoaded.has(n));
      const missingCalls = [...new Set(calls)].filter((n) => !this.functionsLoaded.has(n));
      if (missing.length === 0 && missingCalls.length === 0) return;

      if (missing.length > 0) {
        const generation = await this.load(query, BY_NAME, missing);
        if (generation !== this.generation) return;
        for (const name of missing) this.namesLoaded.add(name);
        this.changes++;
      }
      if (missingCalls.length > 0 && !(await this.loadFunctions(query, missingCalls))) return;

      const trees = [
        ...missing.flatMap((name) => this.byName.get(name) ?? []).map((r) => r.view),
        ...missingCalls.flatMap((name) => this.functionsByName.get(name) ?? []).map((f) => f.body),
      ].filter((tree) => tree !== undefined && tree !== null);
      relations = trees.flatMap((tree) => relationNames(tree).map((n) => n.name));
      calls = trees
        .flatMap((tree) => functionNames(tree))
        .filter((f) => !isSystem(f.schema))
        .map((f) => f.name);
    }
  }

  /** Finds which of these type OIDs are string types (citext, domains over text ...). */
  async loadTypes(query: CatalogQuery, oids: Iterable<number>): Promise<void> {
    const missing = [...new Set(oids)].filter((oid) => !this.typesChecked.has(oid));
    if (missing.length === 0) return;
    const generation = this.generation;
    const rows = await this.run(query, STRING_TYPES, [missing.map(String)]);
    if (generation !== this.generation) return;
    const strings = new Set(rows.map((r) => Number(r.oid)));
    for (const oid of missing) this.typesChecked.set(oid, strings.has(oid));
    this.textTypeSet = new Set([...this.typesChecked].filter(([, text]) => text).map(([o]) => o));
    this.changes++;
  }

  /** Type OIDs known (after loadTypes) to be string types. */
  textTypes(): ReadonlySet<number> {
    return this.textTypeSet;
  }

  /** The column a RowDescription field comes from, once loadOids() has seen its table. */
  origin(tableOid: number, attnum: number): ColumnOrigin | undefined {
    const relation = this.relations.get(tableOid);
    const column = relation?.byAttnum.get(attnum);
    if (relation === undefined || column === undefined) return undefined;
    return {
      schema: relation.schema,
      table: relation.name,
      column: column.name,
      typeOid: column.typeOid,
      view: relation.view !== undefined,
    };
  }

  /**
   * Relations a name denotes. Unqualified: the pg_catalog one if any (PostgreSQL searches it
   * first), else every schema's. NOTE: the session's search_path is not known here, so an
   * unqualified name may match tables in several schemas; lineage then unions them.
   */
  lookup(schema: string | undefined, name: string): readonly RelationShape[] | undefined {
    if (!this.namesLoaded.has(name)) return undefined;
    const all = this.byName.get(name) ?? [];
    if (schema !== undefined) return all.filter((r) => r.schema === schema);
    const system = all.filter((r) => r.schema === 'pg_catalog');
    return system.length > 0 ? system : all;
  }

  /**
   * The user-defined overloads of a function name, filtered by schema when qualified; empty
   * for a built-in one; undefined when loadNames() has not read the name or found nothing.
   */
  functions(schema: string | undefined, name: string): readonly FunctionShape[] | undefined {
    if (isSystem(schema)) return [];
    if (!this.functionsLoaded.has(name)) return undefined;
    const all = this.functionsByName.get(name) ?? [];
    const hits = schema === undefined ? all : all.filter((f) => f.schema === schema);
    if (hits.length > 0) return hits;
    return schema === undefined && this.systemFunctions.has(name) ? [] : undefined;
  }

  // Reads every overload of these names; false when invalidate() came in between.
  private async loadFunctions(query: CatalogQuery, names: string[]): Promise<boolean> {
    const generation = this.generation;
    const rows = await this.readFunctions(query, names);
    if (generation !== this.generation) return false;
    const { user, system } = functionRows(rows);
    for (const name of names) {
      const overloads = user.filter((f) => f.name === name);
      this.functionsByName.set(name, overloads);
      if (system.has(name)) this.systemFunctions.add(name);
      this.functionsLoaded.add(name);
    }
    this.changes++;
    return true;
  }

  private async load(query: CatalogQuery, sql: string, keys: string[]): Promise<number> {
    const generation = this.generation;
    const rows = await this.run(query, sql, [keys]);
    if (generation !== this.generation) return generation;

    const loaded = new Map<number, Relation>();
    for (const row of rows) {
      const oid = Number(row.oid);
      let relation = loaded.get(oid);
      if (relation === undefined) {
        relation = {
          oid,
          schema: String(row.schema),
          name: String(row.name),
          columns: [],
          byAttnum: new Map(),
        };
        if (row.is_view === true || row.is_view === 't') relation.view = parseView(row.definition);
        loaded.set(oid, relation);
      }
      if (row.attnum === null || row.attnum === undefined) continue;
      const column = { name: String(row.column), typeOid: Number(row.type_oid) };
      (relation.columns as { name: string; typeOid: number }[]).push(column);
      relation.byAttnum.set(Number(row.attnum), column);
    }
    for (const [oid, relation] of loaded) {
      const previous = this.relations.get(oid);
      this.relations.set(oid, relation);
      if (previous !== undefined) {
        const left = (this.byName.get(previous.name) ?? []).filter((r) => r !== previous);
        this.byName.set(previous.name, left);
      }
      this.byName.set(relation.name, [...(this.byName.get(relation.name) ?? []), relation]);
    }
    this.changes++;
    return generation;
  }

  /**
   * The rows of the function query that fits the server. The first read tries the one for
   * PostgreSQL 14 and later; a server without prosqlbody (undefined column: 13 and older) gets
   * the older one. The query that worked serves from then on.
   */
  private async readFunctions(
    query: CatalogQuery,
    names: string[],
  ): Promise<readonly Record<string, unknown>[]> {
    if (this.functionQuery !== undefined) return this.run(query, this.functionQuery, [names]);
    let rows: readonly Record<string, unknown>[];
    try {
      rows = await this.run(query, FUNCTIONS_BY_NAME, [names]);
      this.functionQuery = FUNCTIONS_BY_NAME;
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      if (code !== UNDEFINED_COLUMN) throw error;
      rows = await this.run(query, FUNCTIONS_BY_NAME_BEFORE_14, [names]);
      this.functionQuery = FUNCTIONS_BY_NAME_BEFORE_14;
    }
    return rows;
  }

  private async run(
    query: CatalogQuery,
    sql: string,
    params: unknown[],
  ): Promise<readonly Record<string, unknown>[]> {
    try {
      return await query(sql, params);
    } catch (error) {
      throw new CatalogError('reading column names from the catalog failed', { cause: error });
    }
  }
}

/** SQLSTATE of a column the server does not have (prosqlbody before PostgreSQL 14). */
const UNDEFINED_COLUMN = '42703';

function isSystem(schema: string | undefined): boolean {
  return schema !== undefined && SYSTEM_SCHEMAS.has(schema);
}

// The parse tree of a view's defining query; null (fail closed) when it cannot be parsed.
function parseView(definition: unknown): unknown {
  if (typeof definition !== 'string') return null;
  try {
    return parsedStatements(parseSync(definition))[0] ?? null;
  } catch {
    return null;
  }
}
