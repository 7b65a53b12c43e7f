import { columnRefParts, expressionLineage } from './expression-lineage.js';
import type { ColumnLineage, OutputItem, RelationShape } from './lineage-types.js';
import { modifyLineage } from './modify-lineage.js';
import { fieldsOf, listOf, names, nodeOf, stringOf, type Fields } from './parse-tree.js';
import { derivedEntry, entryColumn, tableEntry, union, type RangeEntry } from './range-entry.js';
import { functionEntry } from './function-lineage.js';
import { combine, type Scope } from './scope.js';

/** The result columns of a SelectStmt (plain, set operation or VALUES) seen from `outer`. */
export function selectLineage(stmt: unknown, outer: Scope): OutputItem[] {
  const fields = fieldsOf(stmt, 'SelectStmt');
  if (fields === undefined)
    return [{ kind: 'spread', sources: outer.allSources(), baseTable: false }];

  const scope = outer.child();
  defineCtes(fields.withClause, scope);
  const op = stringOf(fields.op);
  if (op !== undefined && op !== 'SETOP_NONE') {
    return setOperation(selectLineage(fields.larg, scope), selectLineage(fields.rarg, scope));
  }
  if (fields.valuesLists !== undefined) return valuesLineage(fields.valuesLists, scope);

  // NOTE: WHERE, GROUP BY, HAVING and ORDER BY only choose and order rows; what a caller can
  // infer from which rows come back (`where email like 'a%'`) is not lineage and not masked.
  for (const item of listOf(fields.fromClause)) addFromItem(item, scope);
  return targetListLineage(fields.targetList, scope);
}

/** Columns of a target list (SELECT list or RETURNING) against a scope already filled. */
export function targetListLineage(targetList: unknown, scope: Scope): OutputItem[] {
  const out: OutputItem[] = [];
  for (const item of listOf(targetList)) {
    const target = fieldsOf(item, 'ResTarget');
    if (target === undefined) continue;
    const ref = nodeOf(target.val);
    if (ref?.type === 'ColumnRef') {
      const { parts, star } = columnRefParts(ref.fields);
      if (star) {
        out.push(...scope.expandStar(parts));
        continue;
      }
      out.push({ ...scope.resolveColumn(parts), name: stringOf(target.name) ?? parts.at(-1)! });
      continue;
    }
    const lineage = expressionLineage(target.val, scope);
    out.push({ ...lineage, name: stringOf(target.name) ?? columnName(target.val) });
  }
  return out;
}

/** Adds one FROM item (table, subquery, function, join) to the scope. */
export function addFromItem(item: unknown, scope: Scope): void {
  const from = fromItem(item, scope);
  scope.entries.push(...from.visible);
  scope.starEntries.push(from.star);
}

interface FromItem {
  /** Entries names resolve against. */
  visible: RangeEntry[];
  /** The entry `*` expands. */
  star: RangeEntry;
}

function fromItem(item: unknown, scope: Scope): FromItem {
  const node = nodeOf(item);
  const alias = fieldsOf(node?.fields.alias, 'Alias');
  const aliasName = stringOf(alias?.aliasname);
  const aliasColumns = names(alias?.colnames);
  const single = (entry: RangeEntry): FromItem => ({ visible: [entry], star: entry });

  switch (node?.type) {
    case 'RangeVar':
      return single(rangeVarEntry(node.fields, scope));
    case 'RangeSubselect': {
      // LATERAL or not, the subquery may only see earlier items; seeing them all is harmless.
      const output = selectLineage(node.fields.subquery, scope);
      return single(derivedEntry(aliasName ?? '', output, aliasColumns));
    }
    case 'RangeFunction':
      return single(functionEntry(node.fields, aliasName, aliasColumns, scope));
    case 'RangeTableSample':
      return fromItem(node.fields.relation, scope);
    case 'JoinExpr':
      return joinItem(node.fields, aliasName, aliasColumns, scope);
    default: {
      // XMLTABLE, JSON_TABLE and anything newer: columns unknown, read from what it mentions.
      const lineage = expressionLineage(item, scope);
      const sources = lineage.sources;
      return single({
        name: aliasName ?? '',
        columns: undefined,
        wholeRow: sources,
        guess: () => ({ kind: 'unknown', sources }),
        baseTable: false,
      });
    }
  }
}

/** A RangeVar: a CTE when unqualified and one is in scope, else a stored relation. */
export function rangeVarEntry(fields: Fields, scope: Scope): RangeEntry {
  const relname = stringOf(fields.relname) ?? '';
  const schema = stringOf(fields.schemaname);
  const alias = fieldsOf(fields.alias, 'Alias');
  const aliasName = stringOf(alias?.aliasname);
  const aliasColumns = names(alias?.colnames);

  const cte = schema === undefined ? scope.cte(relname) : undefined;
  if (cte !== undefined) return derivedEntry(aliasName ?? relname, cte, aliasColumns);
  const shapes = scope.lookup?.lookup(schema, relname);
  if (shapes?.some((s) => s.view !== undefined) === true) {
    return viewEntry(shapes, aliasName ?? relname, aliasColumns, scope);
  }
  return tableEntry(schema, relname, aliasName, aliasColumns, shapes);
}

// A view's columns take the lineage of its defining query, analysed like a subquery (views see
// no outer names). A name that may denote several relations, or a view whose definition could
// not be parsed, has columns of unknown lineage.
function viewEntry(
  shapes: readonly RelationShape[],
  name: string,
  aliasColumns: string[],
  scope: Scope,
): RangeEntry {
  const single = shapes.length === 1 ? shapes[0] : undefined;
  const wholeRow = shapes.map((s) => `${s.schema}.${s.name}.*`);
  if (single === undefined || single.view === null) {
    const unknown: ColumnLineage = { kind: 'unknown', sources: wholeRow };
    return { name, columns: undefined, wholeRow, guess: () => unknown, baseTable: false };
  }
  const output = selectLineage(single.view, scope.detached());
  const aligned =
    output.length === single.columns.length && output.every((o) => o.kind !== 'spread');
  const named = single.columns.map((c, i): OutputItem => {
    const item = aligned ? output[i]! : { kind: 'unknown' as const, sources: wholeRow };
    return { ...item, name: aliasColumns[i] ?? c.name };
  });
  return derivedEntry(name, named, []);
}

function joinItem(
  fields: Fields,
  aliasName: string | undefined,
  aliasColumns: string[],
  scope: Scope,
): FromItem {
  const left = fromItem(fields.larg, scope);
  const right = fromItem(fields.rarg, scope);
  const joined = joinedEntry(fields, left.star, right.star, aliasName ?? '', aliasColumns);
  // An aliased join hides the relations inside it. Without alias, a USING or NATURAL column
  // named bare is the merged column, which the join entry itself holds.
  const merges = fields.usingClause !== undefined || fields.isNatural === true;
  const inner = [...left.visible, ...right.visible, ...(merges ? [joined] : [])];
  const visible = aliasName !== undefined ? [joined] : inner;
  return { visible, star: joined };
}

// The columns of `a JOIN b`: with USING or NATURAL the shared columns come first, once each,
// then the rest of each side (PostgreSQL docs, "Joined Tables").
function joinedEntry(
  fields: Fields,
  left: RangeEntry,
  right: RangeEntry,
  name: string,
  aliasColumns: string[],
): RangeEntry {
  const wholeRow = union([left.wholeRow, right.wholeRow]);
  const guess = (column: string): ColumnLineage => {
    const sides = [entryColumn(left, column), entryColumn(right, column)];
    const found = sides.filter((s): s is ColumnLineage => s !== undefined);
    return found.length > 0 ? combine(found) : { kind: 'unknown', sources: wholeRow };
  };
  let shared = names(fields.usingClause);
  const natural = fields.isNatural === true;
  const known = left.columns !== undefined && right.columns !== undefined;
  if (natural && known) {
    const rightNames = new Set(right.columns!.map((c) => c.name));
    shared = left.columns!.map((c) => c.name).filter((n) => rightNames.has(n));
  }
  const fullJoin = stringOf(fields.jointype) === 'JOIN_FULL';
  // Merged columns of a FULL JOIN are computed; every other join column is a stored column.
  const base = { name, wholeRow, guess, baseTable: left.baseTable && right.baseTable && !fullJoin };
  if (!known) return { ...base, columns: undefined };

  const rightJoin = stringOf(fields.jointype) === 'JOIN_RIGHT';
  const merged = shared.map((column) => {
    const l = entryColumn(left, column) ?? guess(column);
    const r = entryColumn(right, column) ?? guess(column);
    // FULL JOIN merges with COALESCE(l, r): computed from both. Otherwise one side's column.
    const lineage: ColumnLineage = fullJoin
      ? { kind: 'computed', sources: union([l.sources, r.sources]) }
      : rightJoin
        ? r
        : l;
    return { name: column, lineage };
  });
  const rest = [
    ...left.columns!.filter((c) => !shared.includes(c.name)),
    ...right.columns!.filter((c) => !shared.includes(c.name)),
  ];
  const columns = [...merged, ...rest].map((c, i) => ({ ...c, name: aliasColumns[i] ?? c.name }));
  return { ...base, columns };
}

/** Makes the CTEs of a WITH clause visible in the scope, in order. */
export function defineCtes(withClause: unknown, scope: Scope): void {
  const clause = fieldsOf(withClause, 'WithClause');
  if (clause === undefined) return;
  for (const item of listOf(clause.ctes)) {
    const cte = fieldsOf(item, 'CommonTableExpr');
    const name = stringOf(cte?.ctename);
    if (cte === undefined || name === undefined) continue;
    const aliasColumns = names(cte.aliascolnames);
    const rename = (output: OutputItem[]): OutputItem[] =>
      output.map((o, i) => (o.kind === 'spread' ? o : { ...o, name: aliasColumns[i] ?? o.name }));

    if (clause.recursive === true) {
      // A recursive CTE refers to itself: first its non-recursive term, then the whole.
      const query = fieldsOf(cte.ctequery, 'SelectStmt');
      scope.defineCte(name, rename(selectLineage({ SelectStmt: query?.larg ?? {} }, scope)));
    }
    // A CTE may also be INSERT/UPDATE/DELETE/MERGE ... RETURNING.
    const output = modifyLineage(cte.ctequery, scope) ?? selectLineage(cte.ctequery, scope);
    scope.defineCte(name, rename(output));
  }
}

type NamedColumn = ColumnLineage & { name?: string };

function setOperation(left: OutputItem[], right: OutputItem[]): OutputItem[] {
  const l = columnsOnly(left);
  const r = columnsOnly(right);
  if (l !== undefined && r !== undefined && l.length === r.length) {
    return l.map((col, i) => ({ ...combine([col, r[i]!]), name: col.name ?? '?column?' }));
  }
  // Both sides have the same width; when one side's is unknown, each column may hold anything
  // the other side's columns hold.
  const known = l ?? r;
  const all = union([...left, ...right].map((o) => o.sources));
  if (known === undefined) return [{ kind: 'spread', sources: all, baseTable: false }];
  return known.map(() => ({ kind: 'unknown', sources: all }));
}

function columnsOnly(items: OutputItem[]): NamedColumn[] | undefined {
  const out: NamedColumn[] = [];
  for (const item of items) {
    if (item.kind === 'spread') return undefined;
    out.push(item);
  }
  return out;
}

function valuesLineage(valuesLists: unknown, scope: Scope): OutputItem[] {
  const columns: ColumnLineage[][] = [];
  for (const row of listOf(valuesLists)) {
    const items = listOf(fieldsOf(row, 'List')?.items);
    items.forEach((value, i) => (columns[i] ??= []).push(expressionLineage(value, scope)));
  }
  return columns.map((options, i) => {
    const sources = union(options.map((o) => o.sources));
    const unknown = options.some((o) => o.kind === 'unknown');
    return { kind: unknown ? 'unknown' : 'computed', sources, name: `column${i + 1}` };
  });
}

// PostgreSQL's FigureColname, for the names later references use: close enough that a miss
// only costs precision (an unmatched name resolves to the whole relation, unknown).
function columnName(value: unknown): string {
  const node = nodeOf(value);
  switch (node?.type) {
    case 'FuncCall':
      return names(node.fields.funcname).at(-1) ?? '?column?';
    case 'TypeCast': {
      const inner = columnName(node.fields.arg);
      return inner !== '?column?'
        ? inner
        : (names(fieldsOf(node.fields.typeName, 'TypeName')?.names).at(-1) ?? inner);
    }
    case 'A_Indirection': {
      const last = names(node.fields.indirection).at(-1);
      return last ?? columnName(node.fields.arg);
    }
    case 'CaseExpr':
      return 'case';
    case 'CoalesceExpr':
      return 'coalesce';
    case 'RowExpr':
      return 'row';
    case 'A_ArrayExpr':
      return 'array';
    default:
      return '?column?';
  }
}
