import type { AccessPolicy } from '@portcullis/crds';
import { approvalFor, rowThreshold, type RowThreshold } from './approval-rules.js';
import { compileGuardrails } from './guardrails.js';
import { ParseCache } from './parse-cache.js';
import { PreparedStatements, UnknownPreparedError } from './prepared-statements.js';
import { refusal } from './refusal-message.js';
import { ALLOW, type StatementInfo, type Verdict } from './statement-info.js';
import type { ParsedStatement, ParseOutcome } from './statement-parser.js';
import { ViewTables } from './view-tables.js';

// PostgreSQL's SQLSTATE for a prepared statement name that does not exist.
const INVALID_SQL_STATEMENT_NAME = '26000';

/** The seam the session calls (sidecar contracts): one per session. */
export interface StatementGate {
  /** One Query message: every statement in it checked; refused whole if any part is. */
  checkQuery(sql: string): { verdict: Verdict; statements: StatementInfo[] };
  /** A Parse message; remembers the named statement for later Bind/Execute. */
  checkParse(name: string, sql: string): { verdict: Verdict; statements: StatementInfo[] };
}

/** What a check returns: the verdict, the statements (for recording and metrics) and trees. */
export interface GateCheck {
  verdict: Verdict;
  statements: StatementInfo[];
  /** The parsed statements with their trees, for masking's column lineage. */
  parsed: ParsedStatement[];
  /** Whether the text was found in the parse cache (always false for checkExecute). */
  cacheHit: boolean;
}

/** The statement gate of one session under one policy. */
export interface PolicyStatementGate extends StatementGate {
  checkQuery(sql: string): GateCheck;
  checkParse(name: string, sql: string): GateCheck;
  /** Bind of a prepared statement: a lookup, refused when the gate never saw the name. */
  checkExecute(name: string): GateCheck;
  /** A Close message for a statement: the name is gone in PostgreSQL too. */
  closeStatement(name: string): void;
  /** A FunctionCall message: refused unless guardrails.allowFunctionCall. */
  checkFunctionCall(): Verdict;
  /** The row threshold of the policy's approval rules for these statements. */
  rowThreshold(statements: readonly StatementInfo[]): RowThreshold | undefined;
}

/** Options of a statement gate. */
export interface StatementGateOptions {
  /** The parse cache, shared by all sessions of the process; a private one when omitted. */
  cache?: ParseCache;
  /** The DataSource's views and the tables under them, to see through views. */
  viewTables?: ViewTables;
}

/** Refuses a FunctionCall message unless the policy allows the fast-path protocol. */
export function checkFunctionCall(policy: AccessPolicy): Verdict {
  if (policy.spec.guardrails.allowFunctionCall) return ALLOW;
  // NOTE: FunctionCall names its function by OID, so allowing it lets through every function,
  // the dangerous ones included: the function rules cannot apply to it.
  const what = 'the FunctionCall protocol message, whose function the gate cannot check';
  return refusal(policy, 'guardrails.allowFunctionCall', what);
}

/**
 * Creates the gate of one session. Call initStatementParser() once before the first check;
 * after that every check is synchronous.
 */
export function createStatementGate(
  policy: AccessPolicy,
  options: StatementGateOptions = {},
): PolicyStatementGate {
  return new SessionStatementGate(
    policy,
    options.cache ?? new ParseCache(),
    options.viewTables ?? new ViewTables([]),
  );
}

class SessionStatementGate implements PolicyStatementGate {
  private prepared = new PreparedStatements();
  private readonly guardrails: (info: StatementInfo) => Verdict;
  private readonly executeVerdicts = new Map<string, { version: number; check: GateCheck }>();

  constructor(
    private readonly policy: AccessPolicy,
    private readonly cache: ParseCache,
    private readonly views: ViewTables,
  ) {
    this.guardrails = compileGuardrails(policy);
  }

  checkQuery(sql: string): GateCheck {
    const { outcome, cacheHit } = this.cache.parse(sql);
    if (!outcome.ok) return this.unparsed(outcome, cacheHit);

    const { result, prepared } = this.evaluateStaged(outcome.statements, cacheHit);
    if (result.verdict.action === 'refuse') return result;
    // A simple Query destroys the unnamed prepared statement (protocol, "Extended Query");
    // a refused one never reaches the server, so the statement lives on there.
    if (prepared.has('')) prepared.forget('');
    this.prepared = prepared;
    return result;
  }

  checkParse(name: string, sql: string): GateCheck {
    const { outcome, cacheHit } = this.cache.parse(sql);
    if (!outcome.ok) return this.unparsed(outcome, cacheHit);

    const { result, prepared } = this.evaluateStaged(outcome.statements, cacheHit);
    if (result.verdict.action === 'refuse') return result;
    if (!prepared.define(name, outcome.statements)) {
      const what = `another definition of the prepared statement "${name}" (too many held)`;
      return { ...result, verdict: refusal(this.policy, 'prepared', what) };
    }
    this.prepared = prepared;
    return result;
  }

  checkExecute(name: string): GateCheck {
    const cached = this.executeVerdicts.get(name);
    if (cached !== undefined && cached.version === this.prepared.version) return cached.check;

    let statements: StatementInfo[];
    try {
      statements = this.prepared.definitions(name).map((info) => this.views.expand(info));
    } catch (error) {
      if (!(error instanceof UnknownPreparedError)) throw error;
      return { verdict: this.unknownPrepared(error), statements: [], parsed: [], cacheHit: false };
    }
    const check: GateCheck = {
      verdict: this.combine(statements.map((info) => this.judge(info))),
      statements,
      parsed: this.prepared.statementsOf(name),
      cacheHit: false,
    };
    // Entries of names gone from the map go stale by version; drop them now and then.
    if (this.executeVerdicts.size > 2 * this.prepared.size + 100) this.executeVerdicts.clear();
    this.executeVerdicts.set(name, { version: this.prepared.version, check });
    return check;
  }

  closeStatement(name: string): void {
    if (this.prepared.has(name)) this.prepared.forget(name);
    this.executeVerdicts.delete(name);
  }

  checkFunctionCall(): Verdict {
    return checkFunctionCall(this.policy);
  }

  rowThreshold(statements: readonly StatementInfo[]): RowThreshold | undefined {
    return rowThreshold(this.policy, statements);
  }

  // PREPARE and DEALLOCATE change the map as the statements run: they change a copy, which
  // the caller keeps only when the whole passes.
  private evaluateStaged(
    parsed: ParsedStatement[],
    cacheHit: boolean,
  ): { result: GateCheck; prepared: PreparedStatements } {
    const changes = parsed.some(
      (p) => p.info.prepares !== undefined || p.info.deallocates !== undefined,
    );
    const prepared = changes ? this.prepared.clone() : this.prepared;
    return { result: this.evaluate(parsed, prepared, cacheHit), prepared };
  }

  // Statements in order, each seeing the PREPAREs and DEALLOCATEs before it.
  private evaluate(
    parsed: ParsedStatement[],
    prepared: PreparedStatements,
    cacheHit: boolean,
  ): GateCheck {
    const statements: StatementInfo[] = [];
    const verdicts: Verdict[] = [];
    for (const statement of parsed) {
      let info: StatementInfo;
      try {
        info = this.views.expand(prepared.resolve(statement.info));
      } catch (error) {
        if (!(error instanceof UnknownPreparedError)) throw error;
        verdicts.push(this.unknownPrepared(error));
        statements.push(statement.info);
        continue;
      }
      statements.push(info);
      const verdict = this.judge(info);
      verdicts.push(verdict);
      if (verdict.action === 'refuse') continue;
      this.views.learn(info);
      if (info.deallocates !== undefined) prepared.forget(info.deallocates);
      if (info.prepares !== undefined && !prepared.define(info.prepares, [statement])) {
        verdicts.push(
          refusal(this.policy, 'prepared', `PREPARE "${info.prepares}" (too many held)`),
        );
      }
    }
    return { verdict: this.combine(verdicts), statements, parsed, cacheHit };
  }

  private judge(info: StatementInfo): Verdict {
    const verdict = this.guardrails(info);
    if (verdict.action === 'refuse') return verdict;
    return approvalFor(this.policy, info) ?? ALLOW;
  }

  // The first refusal refuses the whole; otherwise the first approval holds it.
  private combine(verdicts: Verdict[]): Verdict {
    return (
      verdicts.find((v) => v.action === 'refuse') ??
      verdicts.find((v) => v.action === 'approve') ??
      ALLOW
    );
  }

  private unparsed(outcome: Extract<ParseOutcome, { ok: false }>, cacheHit: boolean): GateCheck {
    const what = outcome.rule === 'parse' ? 'parse' : 'classify';
    const message = `a statement it could not ${what}; the gate refuses what it cannot understand: ${outcome.message}`;
    const refused = refusal(this.policy, outcome.rule, message, outcome.sqlstate);
    const verdict =
      outcome.position === undefined ? refused : { ...refused, position: outcome.position };
    return { verdict, statements: [], parsed: [], cacheHit };
  }

  /**
   * A name the gate does not hold is one the server does not hold either (the gate forwards
   * every PREPARE, Parse, DEALLOCATE and Close it allows, and no refused one): the client
   * gets PostgreSQL's own answer, 26000, and can prepare again as it would without the gate.
   */
  private unknownPrepared(error: UnknownPreparedError): Verdict {
    if (!error.missing) return refusal(this.policy, 'prepared', error.message);
    const name = error.statementName;
    return {
      action: 'refuse',
      rule: 'prepared',
      sqlstate: INVALID_SQL_STATEMENT_NAME,
      message:
        name === ''
          ? 'unnamed prepared statement does not exist'
          : `prepared statement "${name}" does not exist`,
      asServer: true,
    };
  }
}
