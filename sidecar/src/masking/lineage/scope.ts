import { attributeLineage, CallStack } from './function-lineage.js';
import type {
  ColumnLineage,
  OutputItem,
  RelationLookup,
  Source,
  WriteFlow,
} from './lineage-types.js';
import { entryColumn, union, type RangeEntry } from './range-entry.js';

/**
 * The names visible at one level of a statement (its FROM clause and WITH list), and the levels
 * around it. Subqueries see every outer level, as PostgreSQL's name resolution does.
 */
export class Scope {
  /** Entries that names resolve against (a join without alias shows both sides). */
  readonly entries: RangeEntry[] = [];
  /** Entries that a bare `*` expands, in FROM order. */
  readonly starEntries: RangeEntry[] = [];
  private readonly ctes = new Map<string, readonly OutputItem[]>();

  constructor(
    readonly parent: Scope | undefined,
    readonly lookup: RelationLookup | undefined,
    /** The user functions whose bodies are being analysed on the way here. */
    readonly calls: CallStack = new CallStack(),
    /**
     * The values every INSERT, UPDATE and MERGE of the statement writes, wherever it sits (the
     * statement itself, a WITH, a SQL function's body): one list for the whole analysis.
     */
    readonly writes: WriteFlow[] = [],
  ) {}

  /** A child level for a subquery. */
  child(): Scope {
    return new Scope(this, this.lookup, this.calls, this.writes);
  }

  /** A scope of its own (a view's definition) that shares the lookup, calls and writes. */
  detached(): Scope {
    return new Scope(undefined, this.lookup, this.calls, this.writes);
  }

  /** Makes a CTE's output visible by name at this level and below. */
  defineCte(name: string, output: readonly OutputItem[]): void {
    this.ctes.set(name, output);
  }

  /** The output of the CTE a bare name refers to, searching outwards. */
  cte(name: string): readonly OutputItem[] | undefined {
    return this.ctes.get(name) ?? this.parent?.cte(name);
  }

  /** Sources of every relation visible from here: what an unresolvable name may read. */
  allSources(): Source[] {
    const lists: Source[][] = [];
    for (const level of this.levels()) {
      for (const entry of level.entries) lists.push(entry.wholeRow);
    }
    return union(lists);
  }

  /** The lineage of a column reference (`col`, `rel.col`, `schema.rel.col`). */
  resolveColumn(fields: readonly string[]): ColumnLineage {
    if (fields.length === 1) return this.resolveBare(fields[0]!);
    const column = fields.at(-1)!;
    const relation = fields.at(-2)!;
    const schema = fields.length >= 3 ? fields.at(-3) : undefined;

    const entry = this.findEntry(relation, schema);
    if (entry !== undefined) {
      const lineage = entryColumn(entry, column);
      if (lineage !== undefined) return lineage;
      // No such column: PostgreSQL calls column(entry) if a function of that name takes it.
      const call = attributeLineage(column, this);
      const sources = union([entry.wholeRow, call?.sources ?? []]);
      return { kind: 'unknown', sources };
    }
    // `a.b` where a is not a relation: a composite column a and its field b.
    if (fields.length === 2) return computed(this.resolveBare(relation));
    return { kind: 'unknown', sources: this.allSources() };
  }

  /** The whole-row sources of `rel.*` or `*` used inside an expression. */
  wholeRow(qualifier: readonly string[]): ColumnLineage {
    if (qualifier.length === 0) {
      return { kind: 'computed', sources: union(this.starEntries.map((e) => e.wholeRow)) };
    }
    const entry = this.findEntry(qualifier.at(-1)!, qualifier.at(-2));
    if (entry === undefined) return { kind: 'unknown', sources: this.allSources() };
    return { kind: 'computed', sources: entry.wholeRow };
  }

  /** The result columns of `*` or `rel.*` in a target list. */
  expandStar(qualifier: readonly string[]): OutputItem[] {
    if (qualifier.length === 0) return this.starEntries.flatMap(expandEntry);
    const entry = this.findEntry(qualifier.at(-1)!, qualifier.at(-2));
    if (entry === undefined) {
      return [{ kind: 'spread', sources: this.allSources(), baseTable: false }];
    }
    return expandEntry(entry);
  }

  private *levels(): Generator<Scope> {
    yield this;
    if (this.parent !== undefined) yield* this.parent.levels();
  }

  private findEntry(name: string, schema: string | undefined): RangeEntry | undefined {
    for (const level of this.levels()) {
      const hit = level.entries.find(
        (e) => e.name === name && (schema === undefined || e.schema === schema),
      );
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  // A bare name is a column of the innermost level that has it; entries whose columns are
  // unknown might have it, at any level on the way, so their guesses join the union.
  private resolveBare(name: string): ColumnLineage {
    const found: ColumnLineage[] = [];
    for (const level of this.levels()) {
      const sure: ColumnLineage[] = [];
      for (const entry of level.entries) {
        const lineage = entryColumn(entry, name);
        if (lineage === undefined) continue;
        (entry.columns !== undefined ? sure : found).push(lineage);
      }
      // Where a relation surely has the column, another that might have it too would make the
      // name ambiguous, which PostgreSQL refuses: the sure match is the column.
      if (sure.length > 0) return combine(sure);
      // Not a column here: a relation of that name is a whole-row reference (`row_to_json(c)`).
      const relation = level.entries.find((e) => e.name === name);
      if (relation !== undefined) {
        found.push({ kind: 'computed', sources: relation.wholeRow });
        return combine(found);
      }
    }
    if (found.length > 0) return combine(found);
    return { kind: 'unknown', sources: this.allSources() };
  }
}

/** The result columns of `*` over one entry. */
export function expandEntry(entry: RangeEntry): OutputItem[] {
  if (entry.columns === undefined) {
    return [{ kind: 'spread', sources: entry.wholeRow, baseTable: entry.baseTable }];
  }
  return entry.columns.map((c) => ({ ...c.lineage, name: c.name }));
}

/** One lineage for a name that may mean several columns. */
export function combine(options: readonly ColumnLineage[]): ColumnLineage {
  if (options.length === 1) return options[0]!;
  const sources = union(options.map((o) => o.sources));
  if (options.some((o) => o.kind === 'unknown')) return { kind: 'unknown', sources };
  if (options.every((o) => o.kind === 'column')) return { kind: 'column', sources };
  return { kind: 'computed', sources };
}

function computed(lineage: ColumnLineage): ColumnLineage {
  return lineage.kind === 'column' ? { kind: 'computed', sources: lineage.sources } : lineage;
}
