import type { StatementClass } from '@portcullis/crds';

/** One table a statement touches, and in which role. */
export interface TableAccess {
  /** schema.table; an unqualified name is resolved by `resolveTableName`. */
  table: string;
  /** The class of the (sub)statement acting on the table; `read` for tables only read. */
  class: StatementClass;
  /** True when the statement did not name the schema and the gate assumed one. */
  schemaAssumed: boolean;
  /** The statement changes the table's rows or definition (not for reads, COPY TO, LOCK). */
  written: boolean;
  /** For update and delete: whether a WHERE (or MERGE ON) restricts the rows. */
  where?: boolean;
}

/** What the classifier understood of one statement. */
export interface StatementInfo {
  /** The most significant class (role > copy-program > ... > read). */
  class: StatementClass;
  /** Every class the statement carries, most significant first; `class` is the first. */
  classes: StatementClass[];
  /** Tables as schema.table, each listed once per role. */
  tables: { read: string[]; written: string[] };
  /** Every table access with its class, in the order the tree holds them. */
  access: TableAccess[];
  /** Functions called, as written (schema-qualified when the statement qualifies them). */
  functions: string[];
  /** Names used in attribute notation (`(x).f`), which PostgreSQL may resolve to f(x). */
  attributeCalls: string[];
  /** Last names of qualified column references (`t.f`), which may be f(t) for a row type t. */
  rowCalls: string[];
  /** For UPDATE and DELETE: every UPDATE and DELETE in it has a WHERE that names a column. */
  hasWhere?: boolean;
  /** The parse node type of the statement, such as `DeleteStmt`. */
  command: string;
  /** The statement's own text (one statement of a multi-statement string). */
  text: string;
  /** `PREPARE name AS ...`: the name it defines. */
  prepares?: string;
  /** `EXECUTE name` (also under EXPLAIN ANALYZE): the prepared statements it runs. */
  executes: string[];
  /** `DEALLOCATE name`, or `*` for DEALLOCATE ALL and DISCARD ALL. */
  deallocates?: string;
  /** Why a class was added that the statement's shape does not show, for the recording. */
  notes: string[];
}

/** A policy's decision on a statement, a protocol message or a whole Query. */
export type Verdict =
  | { action: 'allow' }
  | {
      action: 'refuse';
      rule: string;
      message: string;
      /** The SQLSTATE to answer with; 42501 (insufficient privilege) when absent. */
      sqlstate?: string;
      /** Where in the query string the parser failed: 1-based, in characters. */
      position?: number;
      /**
       * The message is PostgreSQL's own error for this statement, sent as the server would
       * (without the policy's name); the statement is still never forwarded.
       */
      asServer?: boolean;
    }
  | { action: 'approve'; rule: string; reason: string };

/** The allow verdict, shared since it carries nothing. */
export const ALLOW: Verdict = Object.freeze({ action: 'allow' });
