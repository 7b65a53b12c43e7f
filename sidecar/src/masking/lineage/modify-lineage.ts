import { expressionLineage } from './expression-lineage.js';
import type { ColumnLineage, OutputItem, Source, WriteFlow } from './lineage-types.js';
import { fieldsOf, listOf, nodeOf, stringOf, type Fields } from './parse-tree.js';
import { entryColumn, union, type RangeEntry } from './range-entry.js';
import type { Scope } from './scope.js';
import {
  addFromItem,
  defineCtes,
  rangeVarEntry,
  selectLineage,
  targetListLineage,
} from './select-lineage.js';

const MODIFY_STATEMENTS = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/**
 * The RETURNING columns of INSERT, UPDATE, DELETE or MERGE; an empty list without RETURNING;
 * undefined when the node is not one of those. A returned column of the target table holds
 * what was written into it, so it is computed from every value the statement writes.
 */
export function modifyLineage(stmt: unknown, outer: Scope): OutputItem[] | undefined {
  const node = nodeOf(stmt);
  if (node === undefined || !MODIFY_STATEMENTS.has(node.type)) return undefined;
  const fields = node.fields;
  const scope = outer.child();
  defineCtes(fields.withClause, scope);

  // Sources the statement reads besides the target: UPDATE ... FROM, DELETE ... USING, MERGE.
  for (const item of listOf(fields.fromClause)) addFromItem(item, scope);
  for (const item of listOf(fields.usingClause)) addFromItem(item, scope);
  if (fields.sourceRelation !== undefined) addFromItem(fields.sourceRelation, scope);
  outer.writes.push(...writeFlows(node.type, fields, scope));

  const written = writtenSources(node.type, fields, scope);
  const target = withWritten(
    rangeVarEntry(fieldsOf(fields.relation, 'RangeVar') ?? {}, scope),
    written,
  );
  scope.entries.unshift(target, { ...target, name: 'old' }, { ...target, name: 'new' });
  scope.starEntries.unshift(target);

  const returning = fieldsOf(fields.returningClause, 'ReturningClause');
  return targetListLineage(returning?.exprs ?? fields.returningList, scope);
}

function writtenSources(type: string, fields: Fields, scope: Scope): Source[] {
  const lists: Source[][] = [];
  const take = (lineage: { sources: Source[] }): void => void lists.push(lineage.sources);

  if (type === 'InsertStmt' && fields.selectStmt !== undefined) {
    selectLineage(fields.selectStmt, scope).forEach(take);
  }
  const assignments = [
    ...listOf(fields.targetList),
    ...listOf(fieldsOf(fields.onConflictClause, 'OnConflictClause')?.targetList),
  ];
  for (const clause of listOf(fields.mergeWhenClauses)) {
    const when = fieldsOf(clause, 'MergeWhenClause');
    assignments.push(...listOf(when?.targetList), ...listOf(when?.values));
  }
  for (const item of assignments) {
    const target = fieldsOf(item, 'ResTarget');
    take(expressionLineage(target !== undefined ? target.val : item, scope));
  }
  return union(lists);
}

// Columns written from other columns may now hold those columns' values.
function withWritten(entry: RangeEntry, written: Source[]): RangeEntry {
  if (written.length === 0) return entry;
  const taint = (lineage: ColumnLineage): ColumnLineage => ({
    kind: lineage.kind === 'unknown' ? 'unknown' : 'computed',
    sources: union([lineage.sources, written]),
  });
  return {
    ...entry,
    columns: entry.columns?.map((c) => ({ name: c.name, lineage: taint(c.lineage) })),
    wholeRow: union([entry.wholeRow, written]),
    guess: (column) => taint(entry.guess(column)),
    baseTable: false,
  };
}

/**
 * Where INSERT, UPDATE and MERGE (with INSERT ... ON CONFLICT DO UPDATE) write each value,
 * given the scope of what the statement reads (modifyLineage adds them to the scope's writes):
 * the target column and the value's lineage. Empty for anything else. A value whose column
 * cannot be told (a spread of unknown width, an INSERT without a column list over a table the
 * catalog does not know) goes into the whole row.
 */
function writeFlows(type: string, fields: Fields, sources: Scope): WriteFlow[] {
  if (!WRITE_STATEMENTS.has(type)) return [];
  // Assignments see the target table, one level in from what the statement reads.
  const scope = sources.child();
  const target = rangeVarEntry(fieldsOf(fields.relation, 'RangeVar') ?? {}, scope);
  const into = (column: string | undefined): Source[] => {
    const lineage = column === undefined ? undefined : entryColumn(target, column);
    return lineage?.sources ?? target.wholeRow;
  };
  const flows: WriteFlow[] = [];

  if (type === 'InsertStmt') {
    const named = listOf(fields.cols).map((c) => stringOf(fieldsOf(c, 'ResTarget')?.name));
    const columns = named.length > 0 ? named : target.columns?.map((c) => c.name);
    // The SELECT or VALUES of an INSERT cannot see the target table.
    const values = fields.selectStmt === undefined ? [] : selectLineage(fields.selectStmt, scope);
    const inserted = positional(values, columns);
    for (const { column, value } of inserted) flows.push({ target: into(column), value });
    // ON CONFLICT DO UPDATE reads the target row and the proposed one (`excluded`).
    const conflict = fieldsOf(fields.onConflictClause, 'OnConflictClause');
    if (conflict !== undefined) {
      scope.entries.unshift(target, excludedEntry(inserted));
      for (const item of listOf(conflict.targetList)) flows.push(assignment(item, scope, into));
    }
    return flows;
  }

  scope.entries.unshift(target);
  if (type === 'UpdateStmt') {
    for (const item of listOf(fields.targetList)) flows.push(assignment(item, scope, into));
    return flows;
  }
  for (const clause of listOf(fields.mergeWhenClauses)) {
    const when = fieldsOf(clause, 'MergeWhenClause');
    if (when === undefined) continue;
    if (listOf(when.values).length === 0) {
      for (const item of listOf(when.targetList)) flows.push(assignment(item, scope, into));
      continue;
    }
    // WHEN NOT MATCHED THEN INSERT (cols) VALUES (exprs): by position.
    const named = listOf(when.targetList).map((c) => stringOf(fieldsOf(c, 'ResTarget')?.name));
    const columns = named.length > 0 ? named : target.columns?.map((c) => c.name);
    const values = listOf(when.values).map((v) => expressionLineage(v, scope));
    for (const { column, value } of positional(values, columns)) {
      flows.push({ target: into(column), value });
    }
  }
  return flows;
}

const WRITE_STATEMENTS = new Set(['InsertStmt', 'UpdateStmt', 'MergeStmt']);

/** SET col = expr (and ON CONFLICT's): the column named, the expression's lineage. */
function assignment(
  item: unknown,
  scope: Scope,
  into: (column: string | undefined) => Source[],
): WriteFlow {
  const target = fieldsOf(item, 'ResTarget');
  return {
    target: into(stringOf(target?.name)),
    value: expressionLineage(target !== undefined ? target.val : item, scope),
  };
}

/**
 * Values paired with the columns they go into, by position. After a spread of unknown width
 * the positions are lost: what follows goes into unknown columns (undefined).
 */
function positional(
  values: readonly OutputItem[],
  columns: readonly (string | undefined)[] | undefined,
): { column: string | undefined; value: ColumnLineage }[] {
  let lost = columns === undefined;
  return values.map((item, i) => {
    if (item.kind === 'spread') {
      lost = true;
      return { column: undefined, value: { kind: 'computed', sources: item.sources } };
    }
    return { column: lost ? undefined : columns?.[i], value: item };
  });
}

/** The row an INSERT proposed, as ON CONFLICT DO UPDATE reads it (`excluded.col`). */
function excludedEntry(
  inserted: readonly { column: string | undefined; value: ColumnLineage }[],
): RangeEntry {
  const all = union(inserted.map((i) => i.value.sources));
  const known = inserted.filter((i) => i.column !== undefined);
  return {
    name: 'excluded',
    columns:
      known.length === inserted.length
        ? known.map((i) => ({ name: i.column!, lineage: i.value }))
        : undefined,
    wholeRow: all,
    // A column the INSERT gave no value gets its default, which is not from any column.
    guess: () => ({ kind: 'unknown', sources: all }),
    baseTable: false,
  };
}
