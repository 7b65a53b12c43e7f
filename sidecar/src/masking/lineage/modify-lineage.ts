import { expressionLineage } from './expression-lineage.js';
import type { ColumnLineage, OutputItem, Source } from './lineage-types.js';
import { fieldsOf, listOf, nodeOf, type Fields } from './parse-tree.js';
import { union, type RangeEntry } from './range-entry.js';
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
