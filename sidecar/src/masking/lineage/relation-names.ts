import { nodeOf, oncePerTree, stringOf } from './parse-tree.js';

/** A relation as a statement names it: the schema is undefined when unqualified. */
export interface RelationName {
  schema: string | undefined;
  name: string;
}

/**
 * Every relation a statement names anywhere (FROM lists, subqueries, CTE bodies, DML targets,
 * COPY): what the catalog must know before lineage analysis, and what a statement "touches".
 * CTE names are included too; the catalog simply will not know them.
 */
export const relationNames: (stmt: unknown) => readonly RelationName[] = oncePerTree((stmt) => {
  const seen = new Map<string, RelationName>();
  walk(stmt, seen);
  return Object.freeze([...seen.values()].map((n) => Object.freeze(n)));
});

function walk(value: unknown, seen: Map<string, RelationName>): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, seen);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const node = nodeOf(value);
  const fields = node?.fields ?? (value as Record<string, unknown>);
  const relname = stringOf(fields.relname);
  if (relname !== undefined && (node === undefined || node.type === 'RangeVar')) {
    const schema = stringOf(fields.schemaname);
    seen.set(`${schema ?? '?'}.${relname}`, { schema, name: relname });
  }
  for (const child of Object.values(fields)) walk(child, seen);
}
