import { hasSqlDetails, loadModule, parseSync } from 'libpg-query';
import { asArray, asObject } from './parse-node.js';
import { keepParserOnBaselineCompiler } from './parser-compilation.js';
import { classifyStatement } from './statement-classifier.js';
import type { StatementInfo } from './statement-info.js';
import { ClassifyError } from './tree-walker.js';

/** One statement of a query string: what the gate understood, and its parse tree. */
export interface ParsedStatement {
  info: StatementInfo;
  /** libpg-query's tree of the statement (the RawStmt's `stmt`), for column lineage. */
  node: unknown;
}

/** A query string understood, or refused whole with the reason. */
export type ParseOutcome =
  | { ok: true; statements: ParsedStatement[] }
  | {
      ok: false;
      rule: 'parse' | 'classify';
      message: string;
      sqlstate: string;
      /** Where the parser failed, 1-based in characters of the whole string, as PostgreSQL. */
      position?: number;
    };

/** Raised when the parser is used before initStatementParser() has resolved. */
export class ParserNotReadyError extends Error {
  constructor() {
    super('the statement parser is used before initStatementParser() resolved');
    this.name = 'ParserNotReadyError';
  }
}

let loading: Promise<void> | undefined;
let ready = false;

/** Loads the WASM PostgreSQL parser once; every other function here is synchronous after it. */
export function initStatementParser(): Promise<void> {
  if (loading) return loading;
  keepParserOnBaselineCompiler();
  loading = loadModule().then(() => {
    ready = true;
  });
  return loading;
}

// Syntax errors answer 42601 as PostgreSQL itself would, so a client's typo looks the same
// through the gate as without it; the message still says the gate refused.
const SYNTAX_ERROR = '42601';
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Parses and classifies a query string with the real PostgreSQL parser (uncached). Never
 * throws for any input: what cannot be parsed or classified comes back as a refusal.
 */
export function parseStatements(sql: string): ParseOutcome {
  if (!ready) throw new ParserNotReadyError();
  // PostgreSQL answers an empty string with EmptyQueryResponse, as it does blank text;
  // libpg-query's parseSync throws "Query cannot be empty" on it instead.
  if (sql === '') return { ok: true, statements: [] };
  let tree: unknown;
  try {
    tree = parseSync(sql);
  } catch (error) {
    // NOTE: a WASM trap (not a SqlError) may leave the module unusable; every later parse then
    // fails too, which refuses everything rather than letting anything through.
    const reason = error instanceof Error ? error.message : 'unknown parser failure';
    return {
      ok: false,
      rule: 'parse',
      sqlstate: SYNTAX_ERROR,
      message: reason,
      position: parserPosition(error),
    };
  }

  try {
    const text = statementText(sql);
    const statements = asArray(asObject(tree)?.stmts).map((raw) => {
      const rawStmt = asObject(raw) ?? {};
      return { info: frozen(classifyStatement(rawStmt.stmt, text(rawStmt))), node: rawStmt.stmt };
    });
    return { ok: true, statements };
  } catch (error) {
    if (!(error instanceof ClassifyError) && !(error instanceof RangeError)) throw error;
    // A RangeError here is the JavaScript stack running out on a pathological tree.
    return {
      ok: false,
      rule: 'classify',
      sqlstate: INSUFFICIENT_PRIVILEGE,
      message: error.message,
    };
  }
}

/**
 * PostgreSQL's position of a parser error: the scanner counts characters (code points) from 1
 * in the whole string; libpg-query hands it on 0-based.
 * NOTE: libpg-query turns "no position" into 0 as well, so an error the parser reports
 * without one (none of its syntax errors) would carry position 1.
 */
function parserPosition(error: unknown): number | undefined {
  if (!hasSqlDetails(error)) return undefined;
  const at = error.sqlDetails?.cursorPosition;
  return at === undefined || at < 0 ? undefined : at + 1;
}

// Outcomes are cached and shared by every session: a caller that changed one would change
// what the gate believes of that text for all of them.
function frozen(info: StatementInfo): StatementInfo {
  for (const access of info.access) Object.freeze(access);
  const lists = [info.classes, info.access, info.functions, info.attributeCalls, info.rowCalls];
  for (const list of lists) {
    Object.freeze(list);
  }
  Object.freeze(info.tables.read);
  Object.freeze(info.tables.written);
  Object.freeze(info.tables);
  Object.freeze(info.executes);
  Object.freeze(info.notes);
  return Object.freeze(info);
}

// RawStmt locations count bytes of the UTF-8 text; stmt_location and stmt_len are left out
// of the JSON when 0, and a length of 0 means "to the end".
function statementText(sql: string): (raw: Record<string, unknown>) => string {
  // Offsets are characters as well as bytes when the text is ASCII.
  const bytes =
    Buffer.byteLength(sql, 'utf8') === sql.length ? undefined : Buffer.from(sql, 'utf8');
  return (raw) => {
    const start = typeof raw.stmt_location === 'number' ? raw.stmt_location : 0;
    const length = typeof raw.stmt_len === 'number' && raw.stmt_len > 0 ? raw.stmt_len : undefined;
    const end = length === undefined ? undefined : start + length;
    const slice = bytes === undefined ? sql.slice(start, end) : bytes.toString('utf8', start, end);
    return slice.trim();
  };
}
