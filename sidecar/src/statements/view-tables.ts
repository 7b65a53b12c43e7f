import type { StatementInfo, TableAccess } from './statement-info.js';
import { baseName } from './table-names.js';

/**
 * Which tables each view and materialized view reads directly, from the rewrite rules'
 * dependencies. Run it on the DataSource (any role may read the catalog) and feed the rows to
 * ViewTables.fromRows.
 */
export const VIEW_TABLES_SQL = `
SELECT DISTINCT vn.nspname AS view_schema, v.relname AS view_name,
       tn.nspname AS table_schema, t.relname AS table_name
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class v ON v.oid = r.ev_class
JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass
  AND d.objid = r.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass
JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
WHERE v.relkind IN ('v', 'm') AND t.oid <> v.oid
  AND vn.nspname NOT IN ('pg_catalog', 'information_schema')`;

/** One row of VIEW_TABLES_SQL. */
export interface ViewTableRow {
  view_schema: string;
  view_name: string;
  table_schema: string;
  table_name: string;
}

// Views over views over views: deeper chains than this are cut (and the rest is not seen).
const MAX_VIEW_DEPTH = 8;

/** A table under a view, as a statement of this session named it. */
interface LearnedTable {
  table: string;
  schemaAssumed: boolean;
}

/**
 * The gate's view of views: an access to a view is also an access, of the same class, to the
 * tables under it, so a rule on a table holds when the table is reached through a view. One
 * map per session: the catalog's views when the session began, and the views the session's
 * own statements define (learn()).
 * NOTE: a view another session creates or replaces while this one runs is not seen through
 * by this one; sessions that begin afterwards read it from the catalog.
 */
export class ViewTables {
  private readonly byView = new Map<string, readonly string[]>();
  private readonly byBase = new Map<string, string[]>();
  // Views this session defined, by base name: the schema PostgreSQL chose for an unqualified
  // name is not known here, so an access to any view of that name counts.
  private readonly learned = new Map<string, LearnedTable[]>();

  constructor(entries: Iterable<readonly [string, readonly string[]]>) {
    for (const [view, tables] of entries) {
      this.byView.set(view, tables);
      const base = baseName(view);
      this.byBase.set(base, [...(this.byBase.get(base) ?? []), view]);
    }
  }

  /** Builds the map from the rows of VIEW_TABLES_SQL. */
  static fromRows(rows: readonly ViewTableRow[]): ViewTables {
    const map = new Map<string, string[]>();
    for (const row of rows) {
      const view = `${row.view_schema}.${row.view_name}`;
      map.set(view, [...(map.get(view) ?? []), `${row.table_schema}.${row.table_name}`]);
    }
    return new ViewTables(map);
  }

  /** The statement with the tables under every view it touches added to its accesses. */
  expand(info: StatementInfo): StatementInfo {
    if (this.byView.size === 0 && this.learned.size === 0) return info;
    const added: TableAccess[] = [];
    const pending = info.access.map((access) => ({ access, depth: 0 }));
    for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
      if (item.depth >= MAX_VIEW_DEPTH) continue;
      for (const { table, schemaAssumed } of this.under(item.access)) {
        const access: TableAccess = { ...item.access, table, schemaAssumed };
        added.push(access);
        pending.push({ access, depth: item.depth + 1 });
      }
    }
    if (added.length === 0) return info;

    const access = [...info.access, ...added];
    const read = new Set(info.tables.read);
    const written = new Set(info.tables.written);
    for (const a of added) (a.written ? written : read).add(a.table);
    return { ...info, access, tables: { read: [...read], written: [...written] } };
  }

  /**
   * Records the view a statement that the gate lets through defines (CREATE [OR REPLACE]
   * VIEW), so that later statements of the session reach the tables under it. A replaced
   * view keeps its earlier tables too: the map only grows, which is the stricter side.
   */
  learn(info: StatementInfo): void {
    if (info.command !== 'ViewStmt') return;
    const view = info.access.find((a) => a.written);
    if (view === undefined) return;
    const key = baseName(view.table).toLowerCase();
    const tables = info.access
      .filter((a) => !a.written)
      .map((a) => ({ table: a.table, schemaAssumed: a.schemaAssumed }));
    this.learned.set(key, [...(this.learned.get(key) ?? []), ...tables]);
  }

  // An unqualified name may be any view of that name, as search_path decides.
  private under(access: TableAccess): readonly LearnedTable[] {
    const learned = this.learned.get(baseName(access.table).toLowerCase()) ?? [];
    const views = access.schemaAssumed
      ? (this.byBase.get(baseName(access.table).toLowerCase()) ?? [])
      : [access.table];
    const known = views.flatMap((view) => this.byView.get(view) ?? []);
    return [...known.map((table) => ({ table, schemaAssumed: false })), ...learned];
  }
}
