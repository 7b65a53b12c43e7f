import { z } from 'zod';

/**
 * The classes the gate sorts every statement into. Guardrails, approval rules and the
 * recording speak in these names.
 */
export const STATEMENT_CLASSES = [
  'read', // SELECT, TABLE, VALUES, SHOW, EXPLAIN without ANALYZE of a write
  'insert',
  'update',
  'delete',
  'merge',
  'ddl', // CREATE, ALTER, DROP, COMMENT, CREATE RULE, ...
  'truncate',
  'copy-in', // COPY ... FROM STDIN
  'copy-out', // COPY ... TO STDOUT
  'copy-program', // COPY ... PROGRAM or to/from a server file
  'grant', // GRANT, REVOKE, ALTER DEFAULT PRIVILEGES
  'role', // SET ROLE, SET SESSION AUTHORIZATION, CREATE/ALTER ROLE, set_config('role', ...)
  'procedural', // DO, CALL
  'transaction', // BEGIN, COMMIT, ROLLBACK, SAVEPOINT, PREPARE TRANSACTION
  'session', // SET, RESET, SHOW, DISCARD of ordinary settings; PREPARE, DEALLOCATE
  'listen', // LISTEN, UNLISTEN
  'notify', // NOTIFY, pg_notify
  'utility', // VACUUM, ANALYZE, CHECKPOINT, LOCK, ...
] as const;

/** One statement class, as guardrails and approval rules name it. */
export const statementClassSchema = z.enum(STATEMENT_CLASSES);
export type StatementClass = z.infer<typeof statementClassSchema>;

/** What a policy allows when it says nothing: ordinary reads and writes, no dangerous kinds. */
export const DEFAULT_ALLOWED_CLASSES: readonly StatementClass[] = [
  'read',
  'insert',
  'update',
  'delete',
  'merge',
  'copy-in',
  'copy-out',
  'transaction',
  'session',
  'listen',
  'notify',
];
