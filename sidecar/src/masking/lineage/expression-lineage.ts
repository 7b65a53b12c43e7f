import { attributeLineage, callLineage } from './function-lineage.js';
import type { ColumnLineage, Source } from './lineage-types.js';
import { listOf, names, nodeOf, stringOf, type Fields } from './parse-tree.js';
import type { Scope } from './scope.js';
import { selectLineage } from './select-lineage.js';

/**
 * The lineage of an expression: a bare column reference keeps its column lineage; anything else
 * is computed from every column it mentions anywhere (function arguments, CASE conditions,
 * casts, aggregates, window clauses, subqueries), and from what the bodies of the user
 * functions it calls read. Over-approximate on purpose: a value that merely depends on a
 * classified column is treated as derived from it.
 */
export function expressionLineage(node: unknown, scope: Scope): ColumnLineage {
  const ref = nodeOf(node);
  if (ref?.type === 'ColumnRef') return columnRefLineage(ref.fields, scope);

  const acc: Accumulator = { sources: new Set(), unknown: false };
  collect(node, scope, acc);
  return { kind: acc.unknown ? 'unknown' : 'computed', sources: [...acc.sources] };
}

/** The name parts of a ColumnRef, and whether it ends in `*`. */
export function columnRefParts(fields: Fields): { parts: string[]; star: boolean } {
  const parts: string[] = [];
  let star = false;
  for (const field of listOf(fields.fields)) {
    const node = nodeOf(field);
    if (node?.type === 'A_Star') star = true;
    const sval = stringOf(node?.fields.sval);
    if (sval !== undefined) parts.push(sval);
  }
  return { parts, star };
}

interface Accumulator {
  sources: Set<Source>;
  unknown: boolean;
}

function columnRefLineage(fields: Fields, scope: Scope): ColumnLineage {
  const { parts, star } = columnRefParts(fields);
  return star ? scope.wholeRow(parts) : scope.resolveColumn(parts);
}

function add(acc: Accumulator, lineage: { kind: string; sources: readonly Source[] }): void {
  for (const s of lineage.sources) acc.sources.add(s);
  if (lineage.kind === 'unknown' || lineage.kind === 'spread') acc.unknown = true;
}

function collect(value: unknown, scope: Scope, acc: Accumulator): void {
  if (Array.isArray(value)) {
    for (const item of value) collect(item, scope, acc);
    return;
  }
  if (typeof value !== 'object' || value === null) return;

  const node = nodeOf(value);
  if (node?.type === 'ColumnRef') {
    add(acc, columnRefLineage(node.fields, scope));
    return;
  }
  if (node?.type === 'SubLink') {
    // The subquery's result flows into the value; its own WHERE clause only filters.
    for (const item of selectLineage(node.fields.subselect, scope)) add(acc, item);
    collect(node.fields.testexpr, scope, acc);
    return;
  }
  if (node?.type === 'FuncCall') {
    const body = callLineage(node.fields, scope);
    if (body !== undefined) add(acc, body);
  }
  if (node?.type === 'A_Indirection') {
    // `(c).fullname` calls fullname(c) when c has no such field and the function exists.
    for (const name of names(node.fields.indirection)) {
      const call = attributeLineage(name, scope);
      if (call !== undefined) add(acc, call);
    }
  }
  for (const child of Object.values(node?.fields ?? value)) collect(child, scope, acc);
}
