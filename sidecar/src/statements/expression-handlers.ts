import { asArray, constantText, nameParts, unwrapNode, type ParseObject } from './parse-node.js';
import { checkParserSetConfig } from './parser-settings.js';
import { rangeVarName } from './table-names.js';
import type { NodeHandler } from './tree-walker.js';

// Settings whose change is a change of role: SET ROLE and SET SESSION AUTHORIZATION.
const ROLE_SETTINGS = new Set(['role', 'session_authorization']);

/** A table in a FROM list or another read position, unless it names a visible CTE. */
const rangeVar: NodeHandler = (walker, fields, scope) => {
  const name = rangeVarName(fields);
  if (name === undefined) return;
  if (scope.target !== undefined) {
    walker.addAccess(name, scope.target.class, scope, { written: scope.target.written });
    return;
  }
  const relname = fields.relname as string;
  if (name.schemaAssumed && scope.ctes.has(relname)) return;
  walker.addAccess(name, 'read', scope, { written: false });
};

/**
 * A function call anywhere: its name, and the classes some built-ins carry.
 * NOTE: what runs inside a function is invisible here (a user function that deletes, a body
 * given as a string to CREATE FUNCTION, and likewise triggers, column defaults and operators'
 * functions): SELECT purge() is a read. A policy names such functions in denyFunctions.
 */
const funcCall: NodeHandler = (walker, fields, scope) => {
  const parts = nameParts(fields.funcname);
  walker.addFunction(parts.join('.'));
  const base = parts.at(-1)?.toLowerCase();

  if (base === 'set_config') classifySetConfig(walker, fields);
  if (base === 'pg_notify') walker.addCallClass('notify');
  walker.visitFields(fields, { ...scope, target: undefined }, ['funcname']);
};

// set_config(name, value, is_local) is SET in function form; setting names are
// case-insensitive. A name the gate cannot read off the statement may be 'role'.
function classifySetConfig(walker: Parameters<NodeHandler>[0], fields: ParseObject): void {
  const setting = constantText(asArray(fields.args)[0])?.trim().toLowerCase();
  if (setting === undefined) {
    walker.addCallClass('role', 'set_config with a computed setting name counts as a role change');
  } else if (ROLE_SETTINGS.has(setting)) {
    walker.addCallClass('role', `set_config('${setting}', ...) changes the role`);
  } else {
    checkParserSetConfig(setting);
    walker.addCallClass('session');
  }
}

// PostgreSQL reads `t.f` as f(t) when the row t has no column f, and `(x).f` as f(x) for any
// x ("Using Composite Types in Queries", docs section 8.16.5): ('/etc/hostname'::text)
// .pg_read_file reads the file. A qualified column reference only reaches functions that take
// a row type (`t.pg_read_file` fails), an indirection any function of one argument.
const columnRef: NodeHandler = (walker, fields) => {
  const parts = nameParts(fields.fields);
  const last = parts.at(-1);
  if (parts.length >= 2 && last !== undefined) walker.addRowCall(last);
};

const indirection: NodeHandler = (walker, fields, scope) => {
  for (const item of asArray(fields.indirection)) {
    const sval = unwrapNode(item)?.fields.sval;
    if (typeof sval === 'string') walker.addAttributeCall(sval);
  }
  walker.visitFields(fields, scope);
};

/** Handlers for the expression-level nodes that name tables and functions. */
export const EXPRESSION_HANDLERS: Readonly<Record<string, NodeHandler>> = {
  RangeVar: rangeVar,
  FuncCall: funcCall,
  ColumnRef: columnRef,
  A_Indirection: indirection,
};
