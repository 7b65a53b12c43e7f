import { callees } from './function-lineage.js';
import { functionNames } from './function-names.js';
import {
  ANY_RELATION,
  type ColumnLineage,
  type OutputItem,
  type RelationLookup,
  type StatementLineage,
} from './lineage-types.js';
import { modifyLineage } from './modify-lineage.js';
import { fieldsOf, listOf, names, nodeOf, stringOf, type Fields } from './parse-tree.js';
import { entryColumn } from './range-entry.js';
import { relationNames } from './relation-names.js';
import { expandEntry, Scope } from './scope.js';
import { rangeVarEntry, selectLineage } from './select-lineage.js';

/** Named statements a session has seen, for the statements that refer to them later. */
export interface NamedLineages {
  /** DECLARE name CURSOR FOR query: what FETCH name returns. */
  cursors: ReadonlyMap<string, StatementLineage>;
  /** PREPARE name AS query: what EXECUTE name returns. */
  prepared: ReadonlyMap<string, StatementLineage>;
}

/** The lineage of a statement, plus what it defines for later statements of the session. */
export interface AnalysedStatement extends StatementLineage {
  /** DECLARE ... CURSOR and PREPARE define a name later FETCH or EXECUTE use. */
  defines?: { kind: 'cursor' | 'prepared'; name: string; lineage: StatementLineage };
}

const SHOW_COLUMN: OutputItem = { kind: 'computed', sources: [] };

/**
 * Works out where each result column of one parsed statement (an element of libpg-query's
 * `stmts[].stmt`) comes from. `lookup` supplies table columns for `*` and aliases; without it
 * names are still resolved, but `*` over a table becomes a spread of unknown width.
 */
export function statementLineage(
  stmt: unknown,
  lookup?: RelationLookup,
  named?: NamedLineages,
): AnalysedStatement {
  const relations = readRelations(stmt, lookup);
  const node = nodeOf(stmt);
  const scope = new Scope(undefined, lookup);
  // Called once the analysis is done: it has collected the writes by then.
  const result = (output: OutputItem[] | undefined, opaque = false): AnalysedStatement => {
    const analysed: AnalysedStatement = { output, relations, opaque };
    if (scope.writes.length > 0) analysed.writes = scope.writes;
    return analysed;
  };

  switch (node?.type) {
    case 'SelectStmt':
      // SELECT ... INTO creates a table and returns no rows.
      if (node.fields.intoClause !== undefined) return result(undefined);
      return result(selectLineage(stmt, scope));
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt': {
      const output = modifyLineage(stmt, scope);
      return result(output !== undefined && output.length > 0 ? output : undefined);
    }
    case 'CopyStmt':
      return result(copyOutput(node.fields, scope, lookup, named));
    case 'ExplainStmt':
      // EXPLAIN ANALYZE runs the statement: what it writes is written.
      if (explainRuns(node.fields)) {
        scope.writes.push(...(statementLineage(node.fields.query, lookup, named).writes ?? []));
      }
      // Plans: no table data reaches the result.
      return result([SHOW_COLUMN]);
    case 'VariableShowStmt':
      // Settings: no table data reaches the result.
      return result([SHOW_COLUMN]);
    case 'DeclareCursorStmt':
      return definition('cursor', node.fields.portalname, node.fields.query, result, lookup, named);
    case 'PrepareStmt':
      return definition('prepared', node.fields.name, node.fields.query, result, lookup, named);
    case 'FetchStmt':
      return namedResult(named?.cursors.get(stringOf(node.fields.portalname) ?? ''), result);
    case 'ExecuteStmt':
      return namedResult(named?.prepared.get(stringOf(node.fields.name) ?? ''), result);
    default:
      // CALL with OUT parameters and anything not analysed: fail closed if it returns rows.
      return result(undefined, true);
  }
}

function definition(
  kind: 'cursor' | 'prepared',
  name: unknown,
  query: unknown,
  result: (output: OutputItem[] | undefined) => AnalysedStatement,
  lookup: RelationLookup | undefined,
  named: NamedLineages | undefined,
): AnalysedStatement {
  const inner = statementLineage(query, lookup, named);
  const own = result(undefined);
  const label = stringOf(name);
  if (label === undefined) return own;
  return { ...own, defines: { kind, name: label, lineage: inner } };
}

function namedResult(
  lineage: StatementLineage | undefined,
  result: (output: OutputItem[] | undefined, opaque: boolean) => AnalysedStatement,
): AnalysedStatement {
  if (lineage === undefined) return result(undefined, true);
  return { output: lineage.output, relations: lineage.relations, opaque: lineage.opaque };
}

// COPY ... TO STDOUT sends rows; COPY FROM and COPY TO a server file or program send none.
function copyOutput(
  fields: Fields,
  scope: Scope,
  lookup: RelationLookup | undefined,
  named: NamedLineages | undefined,
): OutputItem[] | undefined {
  if (fields.is_from === true || fields.filename !== undefined) return undefined;
  if (fields.query !== undefined) {
    // COPY (INSERT ... RETURNING) TO STDOUT writes too.
    const inner = statementLineage(fields.query, lookup, named);
    scope.writes.push(...(inner.writes ?? []));
    return inner.output;
  }

  const relation = fieldsOf(fields.relation, 'RangeVar');
  if (relation === undefined) return undefined;
  const entry = rangeVarEntry(relation, scope);
  const attlist = names(fields.attlist);
  if (attlist.length === 0) return expandEntry(entry);
  return attlist.map((column): OutputItem => {
    const lineage: ColumnLineage = entryColumn(entry, column) ?? {
      kind: 'unknown',
      sources: entry.wholeRow,
    };
    return { ...lineage, name: column };
  });
}

/** Parsed statements of a query string, in order, as libpg-query's parse result holds them. */
export function parsedStatements(parseResult: unknown): unknown[] {
  const stmts = listOf((parseResult as { stmts?: unknown } | null)?.stmts);
  return stmts.map((s) => (s as { stmt?: unknown }).stmt);
}

// The relations a statement reads, with those the views and user SQL functions among them
// read, transitively: what "touches classified data" is decided on. An opaque call may read
// anything (ANY_RELATION).
function readRelations(stmt: unknown, lookup: RelationLookup | undefined): string[] {
  const out = new Set<string>();
  const pending = [stmt];
  const seen = new Set<unknown>(pending);
  const follow = (tree: unknown): void => {
    if (tree === undefined || tree === null) return;
    if (!seen.has(tree)) pending.push(tree);
    seen.add(tree);
  };
  for (let guard = 0; pending.length > 0 && guard < 256; guard++) {
    const tree = pending.pop();
    for (const name of relationNames(tree)) {
      const key = `${name.schema ?? '?'}.${name.name}`;
      if (out.has(key)) continue;
      out.add(key);
      for (const shape of lookup?.lookup(name.schema, name.name) ?? []) follow(shape.view);
    }
    for (const call of functionNames(tree)) {
      const overloads = callees(lookup, call.schema, call.name, call.attribute);
      const opaque = overloads === 'opaque' || overloads.some((f) => f.body == null);
      if (opaque) out.add(ANY_RELATION);
      else for (const fn of overloads) follow(fn.body);
    }
  }
  // Too much to follow: what was left unread may read anything.
  if (pending.length > 0) out.add(ANY_RELATION);
  return [...out];
}

// EXPLAIN with ANALYZE, unless it says ANALYZE false (or off, or 0): anything else runs it.
function explainRuns(fields: Fields): boolean {
  return listOf(fields.options).some((option) => {
    const element = fieldsOf(option, 'DefElem');
    if (element?.defname !== 'analyze') return false;
    const value = nodeOf(element.arg);
    if (value === undefined) return true;
    if (value.type === 'Boolean') return value.fields.boolval === true;
    const text = stringOf(element.arg)?.toLowerCase();
    return text === undefined || !['false', 'off', '0', 'no'].includes(text);
  });
}
