import type { StatementClass } from '@portcullis/crds';

/** Classes from most to least significant: the first one a statement carries names it. */
export const CLASS_PRECEDENCE: readonly StatementClass[] = [
  'role',
  'copy-program',
  'procedural',
  'grant',
  'ddl',
  'truncate',
  'delete',
  'update',
  'merge',
  'insert',
  'copy-in',
  'copy-out',
  'utility',
  'notify',
  'listen',
  'session',
  'transaction',
  'read',
];

/**
 * Sorts classes most significant first, without duplicates. `read` stays only when nothing
 * else is present: the SELECT inside an INSERT, a COPY or a SELECT set_config(...) is part of
 * that statement, and the tables it reads are recorded as reads anyway.
 */
export function orderClasses(classes: Iterable<StatementClass>): StatementClass[] {
  const present = new Set(classes);
  if (present.size > 1) present.delete('read');
  return CLASS_PRECEDENCE.filter((c) => present.has(c));
}

/**
 * Parse nodes whose class follows from the node type alone. Statements that wrap other
 * statements or touch tables in ways that matter (DML, COPY, EXPLAIN, PREPARE, SET, ...) have
 * their own handlers in the classifier instead.
 */
const FIXED: Record<string, StatementClass> = {
  VariableShowStmt: 'read',
  FetchStmt: 'read',
  TransactionStmt: 'transaction',
  ConstraintsSetStmt: 'transaction',
  ClosePortalStmt: 'session',
  DoStmt: 'procedural',
  ListenStmt: 'listen',
  UnlistenStmt: 'listen',
  NotifyStmt: 'notify',
  CheckPointStmt: 'utility',
  ClusterStmt: 'utility',
  ReindexStmt: 'utility',
  LockStmt: 'utility',
  VacuumStmt: 'utility',
  // LOAD maps a shared library into the backend: code loading, kept apart from VACUUM & co.
  LoadStmt: 'ddl',
  AlterSystemStmt: 'ddl',
  RefreshMatViewStmt: 'ddl',
  CommentStmt: 'ddl',
  SecLabelStmt: 'ddl',
  RenameStmt: 'ddl',
  RuleStmt: 'ddl',
  ViewStmt: 'ddl',
  IndexStmt: 'ddl',
  DefineStmt: 'ddl',
  CompositeTypeStmt: 'ddl',
  ImportForeignSchemaStmt: 'ddl',
  DropOwnedStmt: 'ddl',
  ReassignOwnedStmt: 'grant',
  GrantStmt: 'grant',
  AlterDefaultPrivilegesStmt: 'grant',
  CreateRoleStmt: 'role',
  AlterRoleStmt: 'role',
  AlterRoleSetStmt: 'role',
  DropRoleStmt: 'role',
};

// CREATE ..., ALTER ..., DROP ... of every other object kind (PostgreSQL adds a few each
// release); the role statements above are matched first.
const DDL_NAME = /^(Create|Alter|Drop)[A-Za-z]*Stmt$/;

/** The class of a parse node type that needs no closer look, or undefined. */
export function fixedClass(nodeType: string): StatementClass | undefined {
  return FIXED[nodeType] ?? (DDL_NAME.test(nodeType) ? 'ddl' : undefined);
}
