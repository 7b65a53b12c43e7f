import { listOf, names, nodeOf, oncePerTree, stringOf } from './parse-tree.js';

/** A function as a statement calls it: the schema is undefined when unqualified. */
export interface FunctionName {
  schema: string | undefined;
  name: string;
  /**
   * Written as a field, `c.fullname` or `(c).fullname`: PostgreSQL calls `fullname(c)` when c
   * has no such column (attribute notation, "Function Calls" in the docs).
   */
  attribute: boolean;
}

/** Schemas whose functions are built in: lineage keeps its own rules for those. */
export const SYSTEM_SCHEMAS: ReadonlySet<string> = new Set(['pg_catalog', 'information_schema']);

/**
 * Every function a statement may call by name outside the system schemas (FuncCall nodes,
 * and fields that may be attribute-notation calls): what the catalog must know first.
 */
export const functionNames: (stmt: unknown) => readonly FunctionName[] = oncePerTree((stmt) => {
  const seen = new Map<string, FunctionName>();
  walk(stmt, seen);
  return Object.freeze([...seen.values()].map((n) => Object.freeze(n)));
});

/** The schema and name a FuncCall's funcname list denotes (`db.schema.name` drops the db). */
export function calledName(funcname: unknown): { schema: string | undefined; name: string } {
  const parts = names(funcname);
  return { schema: parts.length > 1 ? parts.at(-2) : undefined, name: parts.at(-1) ?? '' };
}

function walk(value: unknown, seen: Map<string, FunctionName>): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, seen);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const node = nodeOf(value);
  const fields = node?.fields ?? (value as Record<string, unknown>);

  if (node?.type === 'FuncCall') {
    const { schema, name } = calledName(fields.funcname);
    if (schema === undefined || !SYSTEM_SCHEMAS.has(schema)) note(seen, schema, name, false);
  } else if (node?.type === 'ColumnRef') {
    const parts = listOf(fields.fields).map((f) => stringOf(nodeOf(f)?.fields.sval));
    const last = parts.at(-1);
    if (parts.length > 1 && last !== undefined) note(seen, undefined, last, true);
  } else if (node?.type === 'A_Indirection') {
    for (const name of names(fields.indirection)) note(seen, undefined, name, true);
  }
  for (const child of Object.values(fields)) walk(child, seen);
}

function note(
  seen: Map<string, FunctionName>,
  schema: string | undefined,
  name: string,
  attribute: boolean,
): void {
  if (name === '') return;
  seen.set(`${schema ?? '?'}.${name}.${attribute}`, { schema, name, attribute });
}
