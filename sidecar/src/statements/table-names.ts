import type { ParseObject } from './parse-node.js';

/** A table as the gate names it, with whether the schema was assumed. */
export interface TableName {
  table: string;
  schemaAssumed: boolean;
}

/**
 * schema.table for a RangeVar (or a qualified name list). An unqualified name is taken to be
 * in `pg_catalog` when it starts with `pg_` (the catalog is searched first), else in `public`.
 * NOTE: the session's search_path may resolve an unqualified name elsewhere; the gate has no
 * catalog here. Deny and approval rules therefore match an unqualified name against any
 * schema (see table-rules.ts), and allow rules only match the assumed schema.
 */
export function resolveTableName(schema: string | undefined, relname: string): TableName {
  if (schema !== undefined && schema !== '')
    return { table: `${schema}.${relname}`, schemaAssumed: false };
  const assumed = relname.startsWith('pg_') ? 'pg_catalog' : 'public';
  return { table: `${assumed}.${relname}`, schemaAssumed: true };
}

/** The name of a RangeVar's fields, or undefined when it has no relname. */
export function rangeVarName(fields: ParseObject): TableName | undefined {
  const relname = fields.relname;
  if (typeof relname !== 'string') return undefined;
  const schema = typeof fields.schemaname === 'string' ? fields.schemaname : undefined;
  return resolveTableName(schema, relname);
}

/** The name from a qualified-name list as DROP writes it (`[schema,] table`). */
export function listTableName(parts: string[]): TableName | undefined {
  const relname = parts.at(-1);
  if (relname === undefined) return undefined;
  return resolveTableName(parts.length > 1 ? parts.at(-2) : undefined, relname);
}

/** The table part of schema.table. */
export function baseName(table: string): string {
  return table.slice(table.lastIndexOf('.') + 1);
}
