import { expressionLineage } from './expression-lineage.js';
import { calledName, SYSTEM_SCHEMAS } from './function-names.js';
import {
  ANY_SOURCE,
  type ColumnLineage,
  type FunctionShape,
  type OutputItem,
  type RelationLookup,
} from './lineage-types.js';
import { modifyLineage } from './modify-lineage.js';
import { listOf, nodeOf, type Fields } from './parse-tree.js';
import { union, type NamedLineage, type RangeEntry } from './range-entry.js';
import { Scope } from './scope.js';
import { selectLineage } from './select-lineage.js';

// Calls of user-defined functions. A SQL function's value is computed from what its body
// returns (seen through like a view, with the call's arguments on top); a function of any
// other language, or one whose body is not seen through, is opaque: its value may come from
// any column at all (ANY_SOURCE). Built-in functions (pg_catalog, information_schema) add
// nothing beyond their arguments.
// NOTE: only calls by name are seen. A user-defined operator or cast runs its function
// unseen (`SELECT 1 ### 2` is computed from its operands alone), and so do functions that
// triggers, column defaults or row security policies call on the way to RETURNING rows.

/** User functions entered this deep, or a function that calls itself, are opaque. */
const CALL_DEPTH = 4;

const OPAQUE: ColumnLineage = { kind: 'computed', sources: [ANY_SOURCE] };

/** The user functions being analysed on the way to a call, and what the statement found. */
export class CallStack {
  constructor(
    private readonly active: readonly FunctionShape[] = [],
    /** Body lineage by function, per statement analysis; undefined: opaque. */
    private readonly memo = new Map<FunctionShape, readonly OutputItem[] | undefined>(),
  ) {}

  /** The stack one call deeper, inside fn's body. */
  enter(fn: FunctionShape): CallStack {
    return new CallStack([...this.active, fn], this.memo);
  }

  /** What fn's body returns, worked out once per statement; undefined when opaque. */
  body(
    fn: FunctionShape,
    analyse: () => readonly OutputItem[] | undefined,
  ): readonly OutputItem[] | undefined {
    if (this.memo.has(fn)) return this.memo.get(fn);
    if (this.active.length >= CALL_DEPTH || this.active.includes(fn)) return undefined;
    const output = analyse();
    this.memo.set(fn, output);
    return output;
  }
}

/**
 * The overloads a call may run: the user-defined ones (any schema, when unqualified); empty
 * for a built-in; 'opaque' when the catalog does not know the name. An attribute-notation
 * name (`c.fullname`) the catalog does not know is a field, not a call: empty.
 */
export function callees(
  lookup: RelationLookup | undefined,
  schema: string | undefined,
  name: string,
  attribute: boolean,
): readonly FunctionShape[] | 'opaque' {
  // Without a catalog (analysis by names alone) calls are taken for built-ins.
  if (lookup === undefined || (schema !== undefined && SYSTEM_SCHEMAS.has(schema))) return [];
  const found = lookup.functions(schema, name);
  if (found === undefined) return attribute ? [] : 'opaque';
  return found;
}

/**
 * What a FuncCall's value reads besides its arguments (the caller adds those): undefined for a
 * built-in function, the union of what every overload's body returns otherwise, and opaque as
 * soon as one overload is.
 */
export function callLineage(call: Fields, scope: Scope): ColumnLineage | undefined {
  const { schema, name } = calledName(call.funcname);
  return overloadsLineage(callees(scope.lookup, schema, name, false), scope);
}

/**
 * What `x.name` or `(x).name` reads besides x when it may call a user function `name(x)`:
 * undefined when no user function has that name.
 */
export function attributeLineage(name: string, scope: Scope): ColumnLineage | undefined {
  return overloadsLineage(callees(scope.lookup, undefined, name, true), scope);
}

/**
 * A function call in FROM. A user SQL function with one overload and known result columns
 * has each column computed from the matching column of its body, plus the arguments; every
 * other function yields columns computed from all its calls read (built-ins: the arguments).
 */
export function functionEntry(
  fields: Fields,
  aliasName: string | undefined,
  aliasColumns: readonly string[],
  scope: Scope,
): RangeEntry {
  const lineage = expressionLineage(fields.functions, scope);
  const sources = lineage.sources;
  const asColumn: ColumnLineage =
    lineage.kind === 'unknown' ? lineage : { kind: 'computed', sources };
  return {
    name: aliasName ?? '',
    columns: knownColumns(fields, aliasColumns, scope),
    wholeRow: sources,
    guess: () => asColumn,
    baseTable: false,
  };
}

function knownColumns(
  fields: Fields,
  aliasColumns: readonly string[],
  scope: Scope,
): NamedLineage[] | undefined {
  // ROWS FROM (f(), g()) and column definition lists: the union is enough.
  const calls = listOf(fields.functions);
  const items = listOf(nodeOf(calls[0])?.fields.items);
  const call = nodeOf(items[0]);
  const single = calls.length === 1 && nodeOf(items[1]) === undefined;
  if (!single || call?.type !== 'FuncCall') return undefined;
  const { schema, name } = calledName(call.fields.funcname);
  const overloads = callees(scope.lookup, schema, name, false);
  const fn = overloads !== 'opaque' && overloads.length === 1 ? overloads[0]! : undefined;
  const output = fn !== undefined ? bodyLineage(fn, scope) : undefined;
  const resultColumns = fn?.resultColumns;
  if (output === undefined || resultColumns === undefined) return undefined;
  if (output.length !== resultColumns.length || output.some((o) => o.kind === 'spread')) {
    return undefined;
  }

  const args = expressionLineage(call.fields.args, scope);
  const columns = resultColumns.map((column, i): NamedLineage => {
    const item = output[i] as ColumnLineage;
    const unknown = item.kind === 'unknown' || args.kind === 'unknown';
    const sources = union([item.sources, args.sources]);
    return { name: column, lineage: { kind: unknown ? 'unknown' : 'computed', sources } };
  });
  if (fields.ordinality === true) {
    columns.push({ name: 'ordinality', lineage: { kind: 'computed', sources: [] } });
  }
  return columns.map((c, i) => ({ ...c, name: aliasColumns[i] ?? c.name }));
}

function overloadsLineage(
  overloads: readonly FunctionShape[] | 'opaque',
  scope: Scope,
): ColumnLineage | undefined {
  if (overloads === 'opaque') return OPAQUE;
  if (overloads.length === 0) return undefined;
  const outputs: (readonly OutputItem[])[] = [];
  for (const fn of overloads) {
    const output = bodyLineage(fn, scope);
    if (output === undefined) return OPAQUE;
    outputs.push(output);
  }
  const items = outputs.flat();
  const unknown = items.some((o) => o.kind === 'unknown' || o.kind === 'spread');
  return { kind: unknown ? 'unknown' : 'computed', sources: union(items.map((o) => o.sources)) };
}

// The columns a function's body returns, analysed in a scope of its own where its parameters
// are visible by name (and as `fn.param`). Table columns take precedence over parameters of
// the same name, as in PostgreSQL, so the parameters sit one level out.
function bodyLineage(fn: FunctionShape, scope: Scope): readonly OutputItem[] | undefined {
  const body = fn.body;
  if (body === null || body === undefined) return undefined;
  return scope.calls.body(fn, () => {
    // What the body writes is written by the statement that calls it.
    const inner = new Scope(undefined, scope.lookup, scope.calls.enter(fn), scope.writes);
    inner.entries.push(parameterEntry(fn));
    const node = nodeOf(body);
    if (node?.type === 'ReturnStmt') return [expressionLineage(node.fields.returnval, inner)];
    return modifyLineage(body, inner) ?? selectLineage(body, inner);
  });
}

// A parameter's value is the caller's argument, which the call site adds itself.
function parameterEntry(fn: FunctionShape): RangeEntry {
  const none: ColumnLineage = { kind: 'computed', sources: [] };
  const columns = fn.parameters.filter((p) => p !== '').map((name) => ({ name, lineage: none }));
  return { name: fn.name, columns, wholeRow: [], guess: () => none, baseTable: false };
}
