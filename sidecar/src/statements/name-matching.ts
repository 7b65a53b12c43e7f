import { namePattern } from './dangerous-functions.js';
import type { TableAccess } from './statement-info.js';
import { baseName } from './table-names.js';

/**
 * How a policy name applies to a name in a statement whose schema may be unknown.
 * `restrict` (deny rules, approval rules): an unqualified name in the statement matches the
 * policy name in any schema, since search_path might resolve it there. `permit` (allow rules):
 * only a sure match counts.
 */
export type MatchMode = 'restrict' | 'permit';

/** Whether a policy's schema.table rule applies to a table access. */
export function tableMatches(ruleTable: string, access: TableAccess, mode: MatchMode): boolean {
  if (mode === 'permit') return !access.schemaAssumed && ruleTable === access.table;
  if (ruleTable === access.table.toLowerCase()) return true;
  return access.schemaAssumed && baseName(ruleTable) === baseName(access.table).toLowerCase();
}

/**
 * A test for a policy's function name (`name`, `schema.name`, `*` for any run) against a
 * function as the statement wrote it. An unqualified call resolves to pg_catalog first for the
 * built-ins, so `pg_catalog.f` permits a bare `f(...)`.
 */
export function functionPattern(pattern: string): (called: string, mode: MatchMode) => boolean {
  const dot = pattern.lastIndexOf('.');
  const schema = dot < 0 ? undefined : pattern.slice(0, dot).toLowerCase();
  const nameTest = namePattern(pattern.slice(dot + 1));
  return (called, mode) => {
    const calledDot = called.lastIndexOf('.');
    if (!nameTest(called.slice(calledDot + 1))) return false;
    if (schema === undefined) return true;
    if (calledDot >= 0) return called.slice(0, calledDot).toLowerCase() === schema;
    return mode === 'restrict' || schema === 'pg_catalog';
  };
}
