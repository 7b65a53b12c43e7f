import type { StatementClass } from '@portcullis/crds';
import { fixedClass } from './command-classes.js';
import { asArray, asObject, nameParts, unwrapNode } from './parse-node.js';
import { checkParserSetting } from './parser-settings.js';
import { listTableName } from './table-names.js';
import { visitWith, type NodeHandler, type Scope, type TreeWalker } from './tree-walker.js';
import { restrictsRows } from './where-filter.js';

// Statements below sub-statements start without the enclosing statement's target list.
function inner(scope: Scope): Scope {
  return scope.target === undefined ? scope : { ...scope, target: undefined };
}

// UPDATE pg_settings SET setting = ... runs set_config through the view's rule, so writing
// that view is a change of role when the setting is role (and the gate cannot see which).
function noteSettingsWrite(walker: TreeWalker, table: unknown, statementClass: StatementClass) {
  const relname = (unwrapNode(table)?.fields ?? asObject(table))?.relname;
  if (typeof relname !== 'string' || relname.toLowerCase() !== 'pg_settings') return;
  walker.addCallClass('role', `${statementClass} of pg_settings can change the role`);
}

const select: NodeHandler = (walker, fields, outer) => {
  const scope = visitWith(walker, fields.withClause, inner(outer));
  walker.addClass('read', scope);

  // SELECT ... INTO creates a table, as CREATE TABLE AS does.
  const into = asObject(fields.intoClause);
  if (into !== undefined) {
    walker.addClass('ddl', scope);
    walker.addTarget(into.rel, 'ddl', scope, { written: true });
  }
  walker.visitFields(fields, scope, ['withClause', 'intoClause']);
};

const insert: NodeHandler = (walker, fields, outer) => {
  const scope = visitWith(walker, fields.withClause, inner(outer));
  walker.addClass('insert', scope);
  walker.addTarget(fields.relation, 'insert', scope, { written: true });
  noteSettingsWrite(walker, fields.relation, 'insert');

  // ON CONFLICT DO UPDATE updates the conflicting rows, which the conflict target picks.
  if (asObject(fields.onConflictClause)?.action === 'ONCONFLICT_UPDATE') {
    walker.addClass('update', scope);
    walker.addTarget(fields.relation, 'update', scope, { written: true, where: true });
  }
  walker.visitFields(fields, scope, ['withClause', 'relation']);
};

function filteredWrite(statementClass: 'update' | 'delete'): NodeHandler {
  return (walker, fields, outer) => {
    const scope = visitWith(walker, fields.withClause, inner(outer));
    const where = restrictsRows(fields.whereClause);
    walker.addClass(statementClass, scope);
    walker.addTarget(fields.relation, statementClass, scope, { written: true, where });
    noteSettingsWrite(walker, fields.relation, statementClass);
    walker.visitFields(fields, scope, ['withClause', 'relation']);
  };
}

const MERGE_ACTIONS: Record<string, StatementClass> = {
  CMD_UPDATE: 'update',
  CMD_DELETE: 'delete',
  CMD_INSERT: 'insert',
};

// MERGE's actions are what it does: WHEN MATCHED THEN DELETE deletes, and a policy that
// refuses DELETE must refuse it. The ON condition plays the part of WHERE.
const merge: NodeHandler = (walker, fields, outer) => {
  const scope = visitWith(walker, fields.withClause, inner(outer));
  const where = restrictsRows(fields.joinCondition);
  walker.addClass('merge', scope);
  walker.addTarget(fields.relation, 'merge', scope, { written: true });
  for (const clause of asArray(fields.mergeWhenClauses)) {
    const command = unwrapNode(clause)?.fields.commandType;
    const action = typeof command === 'string' ? MERGE_ACTIONS[command] : undefined;
    if (action === undefined) continue;
    walker.addClass(action, scope);
    walker.addTarget(fields.relation, action, scope, { written: true, where });
  }
  noteSettingsWrite(walker, fields.relation, 'merge');
  walker.visitFields(fields, scope, ['withClause', 'relation']);
};

// EXPLAIN options are booleans as defGetBoolean reads them: true/false/on/off or 1/0, and a
// bare option is true. Any value other than a clear false counts as ANALYZE.
function analyzes(options: unknown): boolean {
  return asArray(options).some((option) => {
    const def = unwrapNode(option)?.fields;
    if (typeof def?.defname !== 'string' || def.defname.toLowerCase() !== 'analyze') return false;
    const arg = unwrapNode(def.arg);
    if (arg === undefined) return true;
    if (arg.type === 'Boolean') return arg.fields.boolval === true;
    if (arg.type === 'Integer') return arg.fields.ival !== undefined && arg.fields.ival !== 0;
    const text = arg.fields.sval;
    return !(typeof text === 'string' && ['false', 'off'].includes(text.toLowerCase()));
  });
}

const explain: NodeHandler = (walker, fields, outer) => {
  const scope = inner(outer);
  const explainOnly = scope.explainOnly || !analyzes(fields.options);
  // EXPLAIN alone reads; EXPLAIN ANALYZE is what it runs.
  if (explainOnly) walker.addClass('read', scope);
  walker.visit(fields.query, { ...scope, explainOnly });
};

// COPY with a file name reads or writes a file on the server, or runs a program: both are
// copy-program. Without one it streams to or from the client.
const copy: NodeHandler = (walker, fields, outer) => {
  const scope = inner(outer);
  const fromClient = fields.is_from === true;
  const statementClass: StatementClass =
    typeof fields.filename === 'string' ? 'copy-program' : fromClient ? 'copy-in' : 'copy-out';
  walker.addClass(statementClass, scope);
  if (fields.relation !== undefined) {
    walker.addTarget(fields.relation, statementClass, scope, { written: fromClient });
  }
  walker.visitFields(fields, scope, ['relation']);
};

const prepare: NodeHandler = (walker, fields, scope) => {
  if (typeof fields.name === 'string') walker.addPrepared('prepares', fields.name, scope);
  walker.visit(fields.query, inner(scope));
};

const execute: NodeHandler = (walker, fields, scope) => {
  if (typeof fields.name !== 'string') return;
  walker.addPrepared('executes', fields.name, scope);
  walker.visit(fields.params, inner(scope));
};

const deallocate: NodeHandler = (walker, fields, scope) => {
  walker.addClass('session', scope);
  const all = fields.isall === true || typeof fields.name !== 'string';
  walker.addPrepared('deallocates', all ? '*' : (fields.name as string), scope);
};

// DISCARD ALL includes DEALLOCATE ALL.
const discard: NodeHandler = (walker, fields, scope) => {
  walker.addClass('session', scope);
  if (fields.target === 'DISCARD_ALL') walker.addPrepared('deallocates', '*', scope);
};

const MULTI_SET_CLASSES: Record<string, StatementClass> = {
  TRANSACTION: 'transaction',
  'TRANSACTION SNAPSHOT': 'transaction',
  'SESSION CHARACTERISTICS': 'session',
};

// SET ROLE and SET SESSION AUTHORIZATION parse as settings named role and
// session_authorization; RESET ROLE too. RESET ALL only returns to the login role.
const variableSet: NodeHandler = (walker, fields, scope) => {
  const name = typeof fields.name === 'string' ? fields.name : '';
  const lower = name.toLowerCase();
  checkParserSetting(name, fields.kind, fields.args);
  const statementClass: StatementClass =
    lower === 'role' || lower === 'session_authorization'
      ? 'role'
      : fields.kind === 'VAR_SET_MULTI'
        ? (MULTI_SET_CLASSES[name] ?? 'session')
        : 'session';
  walker.addClass(statementClass, scope);
  walker.visitFields(fields, inner(scope));
};

const call: NodeHandler = (walker, fields, scope) => {
  walker.addClass('procedural', scope);
  walker.visitFields(fields, inner(scope));
};

// A cursor's class is its query's: DECLARE ... FOR SELECT reads.
const declareCursor: NodeHandler = (walker, fields, scope) => {
  walker.visit(fields.query, inner(scope));
};

const truncate: NodeHandler = (walker, fields, scope) => {
  walker.addClass('truncate', scope);
  for (const relation of asArray(fields.relations)) {
    walker.addTarget(relation, 'truncate', scope, { written: true });
    noteSettingsWrite(walker, relation, 'truncate');
  }
};

const createTableAs: NodeHandler = (walker, fields, outer) => {
  const scope = inner(outer);
  walker.addClass('ddl', scope);
  walker.addTarget(asObject(fields.into)?.rel, 'ddl', scope, { written: true });
  walker.visit(fields.query, scope);
};

const grantRole: NodeHandler = (walker, fields, scope) => {
  walker.addClass('grant', scope);
  walker.addCallClass('role', 'GRANT/REVOKE of a role changes role membership');
  walker.visitFields(fields, inner(scope));
};

const RELATION_OBJECTS = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_SEQUENCE',
  'OBJECT_INDEX',
]);

// DROP names its objects as lists of strings, not RangeVars.
const drop: NodeHandler = (walker, fields, scope) => {
  walker.addClass('ddl', scope);
  if (typeof fields.removeType !== 'string' || !RELATION_OBJECTS.has(fields.removeType)) return;
  for (const object of asArray(fields.objects)) {
    const name = listTableName(nameParts(unwrapNode(object)?.fields.items));
    if (name !== undefined) walker.addAccess(name, 'ddl', scope, { written: true });
  }
};

// Fields of utility and DDL statements that hold the relations the statement acts on.
const TARGET_FIELDS = ['relation', 'relations', 'rels', 'view', 'objects'];
const WRITTEN_CLASSES = new Set<StatementClass>(['ddl', 'truncate']);

/** A statement whose class follows from its type; its target fields name what it acts on. */
export function fixedStatement(statementClass: StatementClass): NodeHandler {
  return (walker, fields, outer) => {
    const scope = inner(outer);
    walker.addClass(statementClass, scope);
    const target = { class: statementClass, written: WRITTEN_CLASSES.has(statementClass) };
    for (const key of TARGET_FIELDS) {
      if (key in fields) walker.visit(fields[key], { ...scope, target });
    }
    walker.visitFields(fields, scope, TARGET_FIELDS);
  };
}

/** Handlers for statements that need more than their type to classify. */
export const STATEMENT_HANDLERS: Readonly<Record<string, NodeHandler>> = {
  SelectStmt: select,
  InsertStmt: insert,
  UpdateStmt: filteredWrite('update'),
  DeleteStmt: filteredWrite('delete'),
  MergeStmt: merge,
  ExplainStmt: explain,
  CopyStmt: copy,
  PrepareStmt: prepare,
  ExecuteStmt: execute,
  DeallocateStmt: deallocate,
  DiscardStmt: discard,
  VariableSetStmt: variableSet,
  CallStmt: call,
  DeclareCursorStmt: declareCursor,
  TruncateStmt: truncate,
  CreateTableAsStmt: createTableAs,
  GrantRoleStmt: grantRole,
  DropStmt: drop,
};

const fixedHandlers = new Map<StatementClass, NodeHandler>();

/** The handler for a statement node type, or undefined when the gate does not know it. */
export function statementHandler(type: string): NodeHandler | undefined {
  const special = STATEMENT_HANDLERS[type];
  if (special !== undefined) return special;
  const statementClass = fixedClass(type);
  if (statementClass === undefined) return undefined;
  let handler = fixedHandlers.get(statementClass);
  if (handler === undefined) {
    handler = fixedStatement(statementClass);
    fixedHandlers.set(statementClass, handler);
  }
  return handler;
}
