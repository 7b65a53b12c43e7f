import { orderClasses } from './command-classes.js';
import type { ParsedStatement } from './statement-parser.js';
import type { StatementInfo } from './statement-info.js';

/**
 * Raised when an EXECUTE or Bind names a prepared statement the gate does not hold: never
 * prepared, refused, or removed (DEALLOCATE, DISCARD ALL, Close). missing is false when the
 * name is held but its EXECUTE chain is deeper than the gate follows.
 */
export class UnknownPreparedError extends Error {
  constructor(
    readonly statementName: string,
    readonly missing = true,
  ) {
    super(`EXECUTE of the prepared statement "${statementName}", which the gate has not seen`);
    this.name = 'UnknownPreparedError';
  }
}

// More definitions under one name than this are refused: only a client that keeps re-using a
// name PostgreSQL already holds gets there.
// NOTE: a session may hold at most 10 000 prepared names (PreparedStatements' maxNames); a
// client that prepares more without deallocating is refused, where PostgreSQL has no limit.
const MAX_DEFINITIONS = 16;
// EXECUTE is not preparable in SQL, but a Parse message may hold one; chains stop here.
const MAX_EXECUTE_DEPTH = 4;

/**
 * The prepared statements of one session by name, SQL PREPARE and protocol Parse alike: they
 * share one namespace in PostgreSQL. When a name is defined again while the gate still holds
 * it (PostgreSQL refuses the second definition, unless the gate missed a DEALLOCATE), both
 * definitions are kept and an EXECUTE must pass the checks of each.
 */
export class PreparedStatements {
  private readonly byName = new Map<string, ParsedStatement[][]>();
  /** Bumped on every change, so a cached verdict can tell it is stale. */
  version = 0;

  constructor(private readonly maxNames = 10_000) {}

  get size(): number {
    return this.byName.size;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** A copy to change while a multi-statement Query is checked, committed if it passes. */
  clone(): PreparedStatements {
    const copy = new PreparedStatements(this.maxNames);
    for (const [name, definitions] of this.byName) copy.byName.set(name, [...definitions]);
    copy.version = this.version + 1;
    return copy;
  }

  /**
   * Remembers a definition; the unnamed statement ('') is replaced, a named one accumulates.
   * Returns false when the bounds refuse it.
   */
  define(name: string, statements: ParsedStatement[]): boolean {
    const existing = name === '' ? undefined : this.byName.get(name);
    if (existing === undefined) {
      if (this.byName.size >= this.maxNames && !this.byName.has(name)) return false;
      this.byName.set(name, [statements]);
    } else if (!existing.some((d) => sameText(d, statements))) {
      if (existing.length >= MAX_DEFINITIONS) return false;
      existing.push(statements);
    }
    this.version++;
    return true;
  }

  /** Forgets a name, or every name for `*` (DEALLOCATE ALL, DISCARD ALL). */
  forget(name: string): void {
    if (name === '*') this.byName.clear();
    else this.byName.delete(name);
    this.version++;
  }

  /** The parsed statements held under a name (every definition), or none. */
  statementsOf(name: string): ParsedStatement[] {
    return this.byName.get(name)?.flat() ?? [];
  }

  /** Everything a definition does, EXECUTEs inside it resolved; throws UnknownPreparedError. */
  definitions(name: string, depth = 0): StatementInfo[] {
    const definitions = this.byName.get(name);
    if (definitions === undefined) throw new UnknownPreparedError(name);
    if (depth > MAX_EXECUTE_DEPTH) throw new UnknownPreparedError(name, false);
    return definitions.flat().map((p) => this.resolve(p.info, depth + 1));
  }

  /** The statement with what its EXECUTEs run merged in; throws UnknownPreparedError. */
  resolve(info: StatementInfo, depth = 0): StatementInfo {
    if (info.executes.length === 0) return info;
    const executed = info.executes.flatMap((name) => this.definitions(name, depth));
    return mergeInfos(info, executed);
  }
}

function sameText(a: ParsedStatement[], b: ParsedStatement[]): boolean {
  return a.length === b.length && a.every((p, i) => p.info.text === b[i]?.info.text);
}

/** One statement's info with the facts of the statements it runs added. */
export function mergeInfos(base: StatementInfo, added: StatementInfo[]): StatementInfo {
  const all = [base, ...added];
  const classes = orderClasses(all.flatMap((i) => i.classes));
  const access = all.flatMap((i) => i.access);
  const unique = (pick: (i: StatementInfo) => string[]) => [...new Set(all.flatMap(pick))];
  const merged: StatementInfo = {
    ...base,
    class: classes[0] ?? base.class,
    classes,
    tables: { read: unique((i) => i.tables.read), written: unique((i) => i.tables.written) },
    access,
    functions: unique((i) => i.functions),
    attributeCalls: unique((i) => i.attributeCalls),
    rowCalls: unique((i) => i.rowCalls),
    notes: unique((i) => i.notes),
  };
  const filtered = access.filter((a) => a.class === 'update' || a.class === 'delete');
  if (filtered.length > 0) merged.hasWhere = filtered.every((a) => a.where === true);
  return merged;
}
