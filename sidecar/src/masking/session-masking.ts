import { loadModule, parseSync } from 'libpg-query';
import type { Logger } from 'pino';
import { CatalogError, type CatalogQuery, type ColumnCatalog } from './column-catalog.js';
import { planCopyOut, type CopyPlan } from './copy-plan.js';
import { calledName, functionNames, type FunctionName } from './lineage/function-names.js';
import { nodeOf } from './lineage/parse-tree.js';
import { relationNames, type RelationName } from './lineage/relation-names.js';
import {
  parsedStatements,
  statementLineage,
  type AnalysedStatement,
} from './lineage/statement-lineage.js';
import type { FunctionShape, RelationLookup, StatementLineage } from './lineage/lineage-types.js';
import {
  checkStatement,
  checkWrites,
  planRows,
  type MaskingPlan,
  type MaskingSettings,
  type Refusal,
} from './result-plan.js';
import type { ResultColumn } from './row-masker.js';
import { scrubServerText } from './server-text-scrubber.js';
import { REDACTED } from './strategies.js';

/** One statement of a Query or Parse, analysed for masking. */
export interface MaskedStatement {
  /** The statement's node in libpg-query's parse tree (`stmts[i].stmt`). */
  stmt: unknown;
  lineage: AnalysedStatement;
}

/** The analysis of one Query or Parse message. */
export interface PreparedMasking {
  /** Its statements in order: the k-th RowDescription or CopyOutResponse belongs to the k-th. */
  statements: MaskedStatement[];
  /** Set when the policy refuses a statement already (masking.derived: refuse). */
  refusal?: Refusal;
}

/** What a session's masking needs. */
export interface SessionMaskingOptions {
  settings: MaskingSettings;
  /** The DataSource's catalog cache, shared by its sessions. */
  catalog: ColumnCatalog;
  /** Runs catalog queries on a connection the session supplies. */
  query: CatalogQuery;
  logger: Logger;
  /**
   * The statement nodes of a text from a parse cache the sessions share, or undefined when
   * the cache holds no parse of it: the text is then parsed here. Spares a second parse of
   * every Query and Parse.
   */
  parsed?: (sql: string) => readonly unknown[] | undefined;
}

/**
 * Masking for one session: analyses each Query and Parse before it is relayed (awaiting the
 * catalog reads it needs), then plans each result synchronously when its RowDescription or
 * CopyOutResponse arrives. Remembers cursors and prepared statements by name.
 */
export class SessionMasking {
  private readonly cursors = new Map<string, StatementLineage>();
  private readonly prepared = new Map<string, StatementLineage>();
  private readonly parsed = new Map<string, MaskedStatement>();
  private analyses = new WeakMap<object, { version: number; statement: MaskedStatement }>();
  /** Whole messages (the parse cache's statement lists) of catalog-only statements. */
  private messages = new WeakMap<
    readonly unknown[],
    { version: number; prepared: PreparedMasking }
  >();
  /**
   * Functions this session created or replaced. The catalog is read on another connection,
   * which sees a new body only once the session's transaction commits (later statements of the
   * same Query message, an open transaction): for this session, calls of them are opaque.
   * NOTE: a view the session creates or replaces has the same lag and is not covered here.
   */
  private readonly ownFunctions = new Set<string>();
  /** The catalog as this session's analyses read it: with ownFunctions opaque. */
  private readonly lookup: RelationLookup = {
    lookup: (schema, name) => this.options.catalog.lookup(schema, name),
    functions: (schema, name) =>
      this.ownFunctions.has(name)
        ? [ownFunction(schema, name)]
        : this.options.catalog.functions(schema, name),
  };
  /** The last plan of each statement's results, while its RowDescription stays the same. */
  private readonly plans = new WeakMap<
    MaskedStatement,
    { version: number; key: string; plan: MaskingPlan }
  >();

  constructor(private readonly options: SessionMaskingOptions) {}

  /** Loads the parser's WebAssembly; once per process, before the first prepare. */
  static async init(): Promise<void> {
    await loadModule();
  }

  /**
   * Analyses a Query message before it is relayed. Throws CatalogError when the catalog cannot
   * be read, and StatementParseError when the text does not parse (the statement module
   * normally refuses that first): the caller refuses the query either way (fail closed).
   * Takes the text, or the statement nodes the statements module parsed already (its
   * ParsedStatement.node list), which spares a second parse.
   */
  async prepareQuery(sql: string | readonly unknown[]): Promise<PreparedMasking> {
    const stmts = this.statementsOf(sql);
    await this.loadCatalog(this.catalogNames(stmts));
    return this.analyse(stmts);
  }

  /**
   * prepareQuery() without waiting: the analysis when the catalog holds every relation and
   * function the statements name already, else undefined (call prepareQuery then). Throws as
   * it does.
   */
  prepareQueryNow(sql: string | readonly unknown[]): PreparedMasking | undefined {
    const stmts = this.statementsOf(sql);
    const known = this.messages.get(stmts);
    if (known !== undefined && known.version === this.options.catalog.version) {
      return known.prepared;
    }
    const { relations, functions } = this.catalogNames(stmts);
    if (!this.options.catalog.hasNames(relations, functions)) return undefined;
    return this.analyse(stmts);
  }

  /** prepareParse() without waiting, as prepareQueryNow(). */
  prepareParseNow(name: string, sql: string | readonly unknown[]): PreparedMasking | undefined {
    const prepared = this.prepareQueryNow(sql);
    if (prepared !== undefined) this.rememberParse(name, prepared);
    return prepared;
  }

  /** Analyses a Parse message and remembers it under its name ('' is the unnamed statement). */
  async prepareParse(name: string, sql: string | readonly unknown[]): Promise<PreparedMasking> {
    const prepared = await this.prepareQuery(sql);
    this.rememberParse(name, prepared);
    return prepared;
  }

  // NOTE: a named statement keeps the lineage of its Parse: when DDL later changes a view or
  // function it reads, PostgreSQL plans it anew but its results are still masked by the old one.
  private rememberParse(name: string, prepared: PreparedMasking): void {
    const first = prepared.statements[0];
    if (first !== undefined) this.parsed.set(name, first);
    else this.parsed.delete(name);
  }

  /** The statement a Parse of this name defined, for the portals bound to it. */
  parsedStatement(name: string): MaskedStatement | undefined {
    return this.parsed.get(name);
  }

  /** Forgets a closed prepared statement (Close 'S'). */
  closeStatement(name: string): void {
    this.parsed.delete(name);
  }

  /**
   * Plans the masking of a result from its RowDescription. `statement` is the statement it
   * belongs to; undefined masks every column whose origin PostgreSQL does not name (fail closed).
   */
  planResult(
    columns: readonly ResultColumn[],
    statement: MaskedStatement | undefined,
  ): MaskingPlan {
    const { settings, catalog } = this.options;
    if (statement === undefined) return planRows(settings, columns, undefined, catalog);
    // A statement run again returns the same columns: its masker serves again (it keeps no
    // state between rows but the counts, which the session takes at each result's end).
    const key = columnsKey(columns);
    const known = this.plans.get(statement);
    if (known !== undefined && known.key === key && known.version === catalog.version) {
      return known.plan;
    }
    const plan = planRows(settings, columns, statement.lineage, catalog);
    this.plans.set(statement, { version: catalog.version, key, plan });
    return plan;
  }

  /**
   * Reads the catalog for the table and type OIDs of a RowDescription. Optional: planResult
   * fails closed on OIDs it does not know, so awaiting this first only spares needless masks.
   */
  async loadResult(columns: readonly ResultColumn[]): Promise<void> {
    const { catalog, query } = this.options;
    await catalog.loadOids(
      query,
      columns.map((c) => c.tableOid),
    );
    await catalog.loadTypes(
      query,
      columns.map((c) => c.typeOid),
    );
  }

  /** Plans the masking of COPY ... TO STDOUT from its CopyOutResponse column count. */
  planCopy(statement: MaskedStatement, columnCount: number): CopyPlan {
    const { settings, catalog } = this.options;
    return planCopyOut(settings, statement.stmt, statement.lineage, catalog, columnCount);
  }

  /**
   * Scrubs values out of ErrorResponse/NoticeResponse text (fields M, D, W, H, q) of a
   * statement; strictly when it reads classified data or is unknown.
   */
  scrubServerText(text: string, statement: MaskedStatement | undefined): string {
    return scrubServerText(text, this.strict(statement));
  }

  /**
   * Scrubs a bare value the server reports while a statement runs, such as the ParameterStatus
   * of application_name after `set_config('application_name', email, false)`: all of it when
   * the statement reads classified data or is unknown, else what the detectors recognise.
   */
  scrubServerValue(value: string, statement: MaskedStatement | undefined): string {
    if (value === '') return value;
    return this.strict(statement) ? REDACTED : scrubServerText(value, false);
  }

  /** Must server text about this statement be scrubbed beyond the detectors? */
  private strict(statement: MaskedStatement | undefined): boolean {
    const { classification } = this.options.settings;
    if (classification.empty) return false;
    const lineage = statement?.lineage;
    return (
      lineage === undefined ||
      lineage.opaque ||
      classification.kindsOfRelations(lineage.relations).size > 0
    );
  }

  /** DDL has passed: tables, columns and functions may have changed for every session. */
  invalidate(): void {
    this.options.catalog.invalidate();
  }

  private statementsOf(sql: string | readonly unknown[]): readonly unknown[] {
    return typeof sql === 'string' ? (this.options.parsed?.(sql) ?? parse(sql)) : sql;
  }

  /**
   * What to read before analysing these statements: the relations they name and the
   * classified tables (so their columns' origins resolve whatever the statement names), and
   * the functions they call.
   */
  private catalogNames(stmts: readonly unknown[]): {
    relations: RelationName[];
    functions: FunctionName[];
  } {
    const names = stmts.flatMap((s) => relationNames(s));
    return {
      relations: [...names, ...this.options.settings.classification.relations],
      functions: stmts.flatMap((s) => functionNames(s)),
    };
  }

  /** The lineage of each statement, once the catalog holds what they name. */
  private analyse(stmts: readonly unknown[]): PreparedMasking {
    this.noteOwnFunctions(stmts);
    const statements: MaskedStatement[] = [];
    for (const stmt of stmts) {
      const analysed = this.analysed(stmt);
      this.remember(analysed.lineage);
      statements.push(analysed);
    }
    const refusal = this.firstRefusal(statements);
    const prepared = refusal === undefined ? { statements } : { statements, refusal };
    if (stmts.length > 0 && stmts.every(catalogOnly)) {
      this.messages.set(stmts, { version: this.options.catalog.version, prepared });
    }
    return prepared;
  }

  /**
   * One statement's analysis. A statement whose lineage reads only the catalog (no cursor or
   * prepared statement of the session) is analysed once per tree and catalog version: the
   * shared parse cache hands out the same tree each time the text (or its shape) comes back.
   */
  private analysed(stmt: unknown): MaskedStatement {
    const { catalog } = this.options;
    const known = this.analyses.get(stmt as object);
    if (known !== undefined && known.version === catalog.version) return known.statement;
    const lineage = statementLineage(stmt, this.lookup, {
      cursors: this.cursors,
      prepared: this.prepared,
    });
    const statement = { stmt, lineage };
    if (catalogOnly(stmt) && typeof stmt === 'object' && stmt !== null) {
      this.analyses.set(stmt, { version: catalog.version, statement });
    }
    return statement;
  }

  // CREATE [OR REPLACE] FUNCTION or PROCEDURE: analyses made before it may rely on a body
  // that is about to change, so they are forgotten.
  private noteOwnFunctions(stmts: readonly unknown[]): void {
    for (const stmt of stmts) {
      const node = nodeOf(stmt);
      if (node?.type !== 'CreateFunctionStmt') continue;
      const { name } = calledName(node.fields.funcname);
      if (this.ownFunctions.has(name)) continue;
      this.ownFunctions.add(name);
      this.analyses = new WeakMap();
      this.messages = new WeakMap();
    }
  }

  private async loadCatalog(names: {
    relations: RelationName[];
    functions: FunctionName[];
  }): Promise<void> {
    const { catalog, query, logger } = this.options;
    try {
      await catalog.loadNames(query, names.relations, names.functions);
    } catch (error) {
      logger.error({ err: error }, 'masking could not read the catalog');
      throw error instanceof CatalogError
        ? error
        : new CatalogError('catalog read failed', { cause: error });
    }
  }

  private remember(lineage: AnalysedStatement): void {
    const defined = lineage.defines;
    if (defined === undefined) return;
    const map = defined.kind === 'cursor' ? this.cursors : this.prepared;
    map.set(defined.name, defined.lineage);
  }

  private firstRefusal(statements: readonly MaskedStatement[]): Refusal | undefined {
    const { settings } = this.options;
    for (const { lineage } of statements) {
      const analysed = lineage.defines?.lineage ?? lineage;
      const refusal = checkWrites(settings, analysed) ?? checkStatement(settings, analysed);
      if (refusal !== undefined) return refusal;
    }
    return undefined;
  }
}

/** Raised when a statement's text does not parse, so its results cannot be planned. */
export class StatementParseError extends Error {
  constructor(options?: ErrorOptions) {
    super('the statement could not be parsed for masking', options);
    this.name = 'StatementParseError';
  }
}

/** Statements whose lineage depends on the catalog alone, not on the session's named ones. */
function catalogOnly(stmt: unknown): boolean {
  const node = nodeOf(stmt);
  switch (node?.type) {
    case 'SelectStmt':
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
      return true;
    default:
      return false;
  }
}

// Stands for a function the session defined itself: no body the catalog can vouch for.
function ownFunction(schema: string | undefined, name: string): FunctionShape {
  return { schema: schema ?? '?', name, language: 'unknown', parameters: [], body: null };
}

function columnsKey(columns: readonly ResultColumn[]): string {
  let key = '';
  for (const c of columns) key += `${c.name}\0${c.tableOid}.${c.attnum}.${c.typeOid}.${c.format}\0`;
  return key;
}

function parse(sql: string): unknown[] {
  try {
    return parsedStatements(parseSync(sql));
  } catch (error) {
    throw new StatementParseError({ cause: error });
  }
}
