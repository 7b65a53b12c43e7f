import { parseSync } from 'libpg-query';
import type { FunctionShape } from './lineage/lineage-types.js';
import { fieldsOf, listOf, nodeOf } from './lineage/parse-tree.js';
import { parsedStatements } from './lineage/statement-lineage.js';
import { dangerousFunction } from '../statements/dangerous-functions.js';

// Every overload of the named functions (pg_proc), with what lineage needs of the user-defined
// ones. A SQL function's body is prosrc, or for one written with BEGIN ATOMIC or RETURN
// (PostgreSQL 14+) the text pg_get_function_sqlbody() deparses from prosqlbody. Parameter and
// result column names come from proargnames by proargmodes: i(n), o(ut), b (inout), v(ariadic),
// t(able); a null proargmodes means every argument is IN. Arrays come back as JSON text, which
// reads the same whatever the client does with array types. `extension` marks the members of
// an extension (citext's max, pgcrypto's digest ...), which count as built in (see functionRows).
const SYSTEM = `n.nspname in ('pg_catalog', 'information_schema')`;
const ARGUMENTS = `rows from (pg_catalog.unnest(p.proargnames),
                              pg_catalog.unnest(p.proargmodes::text[]))
                   with ordinality as u(arg, mode, ord)`;
const functionsByName = (sqlBody: string) => `
  select n.nspname as schema, p.proname as name, ${SYSTEM} as system, l.lanname as language,
         exists (select from pg_catalog.pg_depend d
                  where d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                    and d.objid = p.oid and d.deptype = 'e') as extension,
         ${sqlBody} as sql_body,
         case when not ${SYSTEM} and l.lanname = 'sql' then p.prosrc end as source,
         case when not ${SYSTEM} then
           (select pg_catalog.to_json(pg_catalog.array_agg(coalesce(u.arg, '') order by u.ord))
              from ${ARGUMENTS}
             where coalesce(u.mode, 'i') in ('i', 'b', 'v'))::text end as parameters,
         case when not ${SYSTEM} then
           coalesce(
             (select pg_catalog.to_json(pg_catalog.array_agg(u.arg order by u.ord))
                from ${ARGUMENTS}
               where u.mode in ('o', 'b', 't')),
             (select pg_catalog.to_json(pg_catalog.array_agg(a.attname::text order by a.attnum))
                from pg_catalog.pg_type t
                join pg_catalog.pg_attribute a
                  on a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped
               where t.oid = p.prorettype and t.typtype = 'c'))::text end as result_columns
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    join pg_catalog.pg_language l on l.oid = p.prolang
   where p.proname = any($1::text[])`;

export const FUNCTIONS_BY_NAME = functionsByName(
  `case when not ${SYSTEM} and l.lanname = 'sql' and p.prosqlbody is not null
        then pg_catalog.pg_get_function_sqlbody(p.oid) end`,
);
/**
 * FUNCTIONS_BY_NAME for PostgreSQL 13 and older, which have neither prosqlbody nor
 * pg_get_function_sqlbody (nor BEGIN ATOMIC bodies): every SQL body is prosrc there.
 */
export const FUNCTIONS_BY_NAME_BEFORE_14 = functionsByName('null::text');

/** The overloads the catalog query found: user-defined ones, and names that are built in. */
export interface FunctionRows {
  user: FunctionShape[];
  system: Set<string>;
}

/** Reads the rows of FUNCTIONS_BY_NAME. */
export function functionRows(rows: readonly Record<string, unknown>[]): FunctionRows {
  const out: FunctionRows = { user: [], system: new Set() };
  for (const row of rows) {
    const name = String(row.name);
    // An extension's functions are installed by whoever installs the extension, like the
    // built-in ones, and are read as such: computed from their arguments. Those on the list
    // of dangerous functions (dblink reads other databases) stay opaque.
    const extension = row.extension === true || row.extension === 't';
    if (row.system === true || row.system === 't' || (extension && !dangerousFunction(name))) {
      out.system.add(name);
      continue;
    }
    const language = String(row.language);
    const shape: FunctionShape = {
      schema: String(row.schema),
      name,
      language,
      parameters: names(row.parameters)?.map((n) => n ?? '') ?? [],
      body: language === 'sql' ? parseBody(row.sql_body, row.source) : null,
    };
    // An unnamed OUT parameter leaves the result's column names to the server: unknown here.
    const resultColumns = names(row.result_columns);
    if (resultColumns?.every((n) => n !== null)) shape.resultColumns = resultColumns;
    out.user.push(shape);
  }
  return out;
}

function names(value: unknown): (string | null)[] | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed)) return undefined;
    return parsed.map((n) => (typeof n === 'string' ? n : null));
  } catch {
    return undefined;
  }
}

// What a SQL function returns: its last statement, when every statement before it only reads
// (the results of those are thrown away). Null, to be treated as opaque, for anything else.
// NOTE: "only reads" is judged by statement kind: an earlier SELECT that calls set_config() with
// a classified value, read back by the last one, passes as it does in a statement of its own.
function parseBody(sqlBody: unknown, source: unknown): unknown {
  let stmts: unknown[];
  try {
    if (typeof sqlBody === 'string') {
      // The deparsed body is only valid inside CREATE FUNCTION; this text is parsed, never run.
      const wrapped = `CREATE FUNCTION pg_temp.body() RETURNS void LANGUAGE sql ${sqlBody}`;
      const create = fieldsOf(parsedStatements(parseSync(wrapped))[0], 'CreateFunctionStmt');
      const body = create?.sql_body;
      if (nodeOf(body)?.type === 'ReturnStmt') return body;
      // BEGIN ATOMIC: a List holding one List of the statements.
      const outer = listOf(fieldsOf(body, 'List')?.items)[0];
      stmts = listOf(fieldsOf(outer, 'List')?.items);
    } else if (typeof source === 'string') {
      stmts = parsedStatements(parseSync(source));
    } else {
      return null;
    }
  } catch {
    return null;
  }
  const last = stmts.at(-1);
  if (last === undefined || !stmts.slice(0, -1).every(readsOnly)) return null;
  return readsOnly(last) || RETURNING_STATEMENTS.has(nodeOf(last)?.type ?? '') ? last : null;
}

const RETURNING_STATEMENTS = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

// A SELECT that writes nothing: no INTO, no INSERT/UPDATE/DELETE/MERGE in its WITH list.
function readsOnly(stmt: unknown): boolean {
  const node = nodeOf(stmt);
  if (node?.type !== 'SelectStmt' || node.fields.intoClause !== undefined) return false;
  const ctes = listOf(fieldsOf(node.fields.withClause, 'WithClause')?.ctes);
  return ctes.every((cte) => {
    const query = fieldsOf(cte, 'CommonTableExpr')?.ctequery;
    return !RETURNING_STATEMENTS.has(nodeOf(query)?.type ?? '');
  });
}
