import type { AccessPolicy } from '@portcullis/crds';
import type { Logger } from 'pino';
import { GateError } from '../errors/gate-error.js';
import type { Identity } from '../identity/identity.js';
import type { GateMetrics } from '../observability/gate-metrics.js';
import type { Decision } from '../policy/decision.js';
import { qualifiedName } from '../policy/decision.js';
import { RowBudgets, rowLimitExceeded, type RowWindow } from '../limits/row-budget.js';
import type { RecordSink } from '../recording/record-writer.js';
import { SessionRecorder, type ParameterValue } from '../recording/session-recorder.js';
import { scrubStatement, scrubValues } from '../recording/value-scrubber.js';
import { rowThreshold } from '../statements/approval-rules.js';
import type { StatementInfo, Verdict } from '../statements/statement-info.js';
import { ApprovalHolds } from './approval-holds.js';
import type { ApprovalChannel } from './operator-channel.js';
import { ResultQueue, type PendingResult } from './result-queue.js';

type ApproveVerdict = Extract<Verdict, { action: 'approve' }>;

/** What the relay does with the next row: deliver it, wait for a human, or cut the result. */
export type RowStep =
  | { kind: 'pass' }
  | { kind: 'hold'; decision: Promise<GateError | undefined> }
  | { kind: 'cut'; error: GateError };

const PASS: RowStep = Object.freeze({ kind: 'pass' });

/** Something that counts masked values per rule (the masking module's ResultMasker). */
interface CountingMasker {
  takeCounts(): { rule: string; count: number }[];
}

/** Process-wide parts shared by every session's controls. */
export interface SessionControlsOptions {
  /** Where held operations go; without one, they are refused (fail closed). */
  approvals?: ApprovalChannel;
  /** The recording's writer; nothing is recorded without one. */
  recording?: RecordSink;
  budgets?: RowBudgets;
  metrics?: GateMetrics;
}

/** The session a set of controls belongs to. */
export interface SessionContext {
  sessionId: string;
  identity: Identity;
  decision: Decision;
  logger: Logger;
  /** Whether this session masks result rows (a masker factory exists for it). */
  masking: boolean;
}

/**
 * Builds the controls of one session, called once the policy is decided; undefined when the
 * session has nothing for them to do.
 */
export type SessionControlsFactory = (context: SessionContext) => SessionControls | undefined;

/**
 * A factory sharing one row budget table across the sessions of this process. A session whose
 * policy records nothing here, routes nothing to a human and limits no rows gets no controls:
 * the relay then skips their bookkeeping on every statement and result.
 */
export function sessionControls(options: SessionControlsOptions): SessionControlsFactory {
  const shared = { ...options, budgets: options.budgets ?? new RowBudgets() };
  const prune = setInterval(() => shared.budgets.prune(), 60_000);
  prune.unref();
  return (context) =>
    needsControls(shared, context.decision.policy)
      ? new SessionControls(shared, context)
      : undefined;
}

function needsControls(options: SessionControlsOptions, policy: AccessPolicy): boolean {
  const { spec } = policy;
  return (
    (options.recording !== undefined && spec.recording.enabled) ||
    (spec.approval?.rules.length ?? 0) > 0 ||
    spec.limits.rowsPerMinute !== undefined
  );
}

/**
 * Approvals, the rows-per-minute limit and the recording of one session, as the relay meets
 * them: it reports each checked message and each row, and acts on what comes back (hold the
 * statement, deliver the row, pause for a human, cut the result).
 * NOTE: a session refused before admission (identity, policy) has no controls, so it is in
 * the log but not in the recording.
 */
export class SessionControls {
  private readonly recorder: SessionRecorder | undefined;
  private readonly results = new ResultQueue();
  private readonly prepared = new Map<string, StatementInfo[]>();
  private readonly portals = new Map<string, StatementInfo[]>();
  private readonly policy: AccessPolicy;
  private readonly policyName: string;
  private readonly identityName: string;
  private readonly rowsPerMinute: number | undefined;
  /** This gate's part of rowsPerMinute: the limit split evenly between the pods sharing it. */
  private rowsPerMinuteHere: number | undefined;
  private rowShare = 1;
  private readonly thresholds: boolean;
  /** This identity's shared window, held while the session lives (when a limit applies). */
  private readonly budget: { window: RowWindow; release: () => void } | undefined;
  private readonly dataSource: string;
  private readonly holds: ApprovalHolds;
  private maskedCounts = new Map<string, number>();

  constructor(
    private readonly options: SessionControlsOptions & { budgets: RowBudgets },
    private readonly context: SessionContext,
  ) {
    const { decision, identity, sessionId } = context;
    this.policy = decision.policy;
    this.policyName = qualifiedName(decision.policy);
    this.identityName = identity.name;
    this.dataSource = decision.dataSource.metadata.name;
    this.rowsPerMinute = decision.policy.spec.limits.rowsPerMinute;
    this.shareRows(decision.rowShare);
    const rules = decision.policy.spec.approval?.rules ?? [];
    this.thresholds = rules.some((rule) => rule.rowsOver !== undefined);
    if (this.rowsPerMinute !== undefined) this.budget = options.budgets.hold(identity.name);
    const recording = decision.policy.spec.recording;
    if (options.recording && recording.enabled) {
      // Rows are kept only when they were masked on their way: a policy that classifies or
      // masks anything, in a session that masks nothing, would put raw values in the file.
      const needsMasking =
        Object.keys(decision.dataSource.spec.classification ?? {}).length > 0 ||
        decision.policy.spec.masking.rules.length > 0;
      const rowsSafe = context.masking || !needsMasking;
      this.recorder = new SessionRecorder({
        sink: options.recording,
        session: sessionId,
        includeRows: recording.includeRows && rowsSafe,
        classifiedTables: classifiedTables(decision),
      });
      this.recordStart();
      if (recording.includeRows && !rowsSafe) {
        this.recorder.emit('rows', { rows: [], omitted: 'rows are not masked in this session' });
      }
    }
    this.holds = new ApprovalHolds({
      policy: decision.policy,
      dataSource: this.dataSource,
      identity: identity.name,
      session: sessionId,
      logger: context.logger,
      ...(options.approvals ? { approvals: options.approvals } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(this.recorder ? { recorder: this.recorder } : {}),
    });
  }

  /**
   * The number of pods sharing the policy's rows-per-minute limit changed (pods came or
   * went): this gate now allows its new part, rounded down, and at least one row.
   */
  shareRows(pods: number): void {
    this.rowShare = Math.max(1, Math.floor(pods));
    const limit = this.rowsPerMinute;
    this.rowsPerMinuteHere =
      limit === undefined ? undefined : Math.max(1, Math.floor(limit / this.rowShare));
  }

  /** Whether the relay should hand over each delivered row (the recording keeps rows). */
  get wantsRows(): boolean {
    return this.recorder?.includeRows ?? false;
  }

  /**
   * Whether the recording is behind while it keeps this session's rows: the relay then stops
   * reading from the server until resume is called.
   */
  recordingBehind(resume: () => void): boolean {
    if (!this.wantsRows) return false;
    return this.options.recording?.behind?.(resume) ?? false;
  }

  /** Whether row() must see every row: a row limit, a row threshold, or rows recorded. */
  get watchesRows(): boolean {
    return this.rowsPerMinute !== undefined || this.thresholds || this.wantsRows;
  }

  /** A Query was checked; verdict is a GateError when its check threw. */
  query(text: string, verdict: Verdict | GateError, statements: StatementInfo[]): void {
    this.checked('simple', text, verdict, statements);
    const threshold = rowThreshold(this.policy, statements);
    this.results.query(threshold?.rowsOver, threshold?.rule, statements);
  }

  /** A Parse was checked. */
  parse(name: string, text: string, verdict: Verdict | GateError, statements: StatementInfo[]) {
    this.checked('parse', text, verdict, statements, name);
    this.prepared.set(name, statements);
  }

  /** A Bind: its portal now runs the named statement; parameter values are recorded. */
  bind(portal: string, statement: string, values: () => ParameterValue[]): void {
    const statements = this.prepared.get(statement) ?? [];
    this.portals.set(portal, statements);
    if (!this.recorder) return;
    const tables = statements.flatMap((s) => [...s.tables.read, ...s.tables.written]);
    const params = values();
    if (params.length > 0) this.recorder.parameters(portal, params, tables);
  }

  execute(portal: string): void {
    const statements = this.portals.get(portal) ?? [];
    const threshold = rowThreshold(this.policy, statements);
    this.results.execute(threshold?.rowsOver, threshold?.rule, statements);
  }

  functionCall(verdict: Verdict | GateError): void {
    this.checked('function_call', '', verdict, []);
    this.results.query(undefined, undefined);
  }

  sync(): void {
    this.results.sync();
  }

  /**
   * Holds a statement for approval. Resolves undefined once approved (relay it), or the
   * error to answer instead: denied, expired, or not requestable (fail closed).
   */
  async holdStatement(verdict: ApproveVerdict, statements: StatementInfo[], text: string) {
    const tables = tablesOf(statements);
    const classified = this.recorder?.touchesClassified(tables) ?? tables.length > 0;
    return this.holds.hold(verdict.rule, verdict.reason, {
      kind: 'statement',
      statement: scrubStatement(text, classified).slice(0, 4096),
      classes: [...new Set(statements.flatMap((s) => s.classes))],
      tables,
    });
  }

  /**
   * The next DataRow (or CopyData) from the server: deliver it, or hold or cut the result
   * here. The relay may skip the call when watchesRows is false.
   */
  row(): RowStep {
    const result = this.results.current();
    if (result !== undefined && this.overThreshold(result)) {
      return { kind: 'hold', decision: this.holdRows(result) };
    }
    if (this.budget !== undefined && this.rowsPerMinuteHere !== undefined) {
      if (!this.budget.window.take(this.rowsPerMinuteHere)) {
        this.recorder?.emit('limit', {
          rule: 'limits.rowsPerMinute',
          limit: this.rowsPerMinute,
          ...(this.rowShare > 1 ? { here: this.rowsPerMinuteHere, pods: this.rowShare } : {}),
        });
        return { kind: 'cut', error: this.rowLimitError() };
      }
    }
    if (result !== undefined) result.rows++;
    return PASS;
  }

  /**
   * A delivered row (masked), for a recording that keeps rows.
   * NOTE: cells are shown by the formats of the last RowDescription; a binary cell of a result
   * described otherwise is recorded as text bytes (after the value detectors).
   */
  delivered(cells: (Buffer | null)[], formats: readonly number[]): void {
    this.recorder?.rows(
      [cells.map((c) => c && Buffer.from(scrubValues(c.toString('utf8'))))],
      formats,
    );
  }

  /**
   * CommandComplete (tag), EmptyQueryResponse or PortalSuspended (suspended); masker is the
   * result's row masker, whose counts of masked values are taken here.
   */
  resultDone(tag: string | undefined, suspended: boolean, masker?: unknown): void {
    const counted = this.results.current()?.rows ?? 0;
    this.takeMaskedCounts(masker);
    if (!suspended) {
      const masked = Object.fromEntries(this.maskedCounts);
      const rows = rowsOfTag(tag) ?? counted;
      this.recorder?.emit('result', { tag: tag ?? null, rows, masked });
      this.maskedCounts = new Map();
    }
    this.results.resultDone(suspended);
  }

  /** A result the client never sees (cut): forgotten without a record. */
  resultDropped(masker?: unknown): void {
    this.takeMaskedCounts(masker);
    this.maskedCounts = new Map();
    this.results.resultDone(false);
  }

  /** A statement the gate sends itself (to abort a transaction): one more Query to follow. */
  standIn(): void {
    this.results.query(undefined, undefined);
  }

  /**
   * An ErrorResponse from the server; message undefined for the stand-in error of a refusal,
   * which refused() recorded already.
   */
  error(code: string, message: string | undefined, masker?: unknown): void {
    this.takeMaskedCounts(masker);
    this.maskedCounts = new Map();
    if (message !== undefined) {
      this.recorder?.emit('error', { sqlstate: code, message: scrubValues(message) });
    }
    this.results.error();
  }

  /** The gate answers a statement with this error (refused, denied, expired). */
  refused(error: GateError): void {
    this.recorder?.emit('error', { sqlstate: error.sqlstate, message: scrubValues(error.message) });
  }

  readyForQuery(): void {
    this.results.readyForQuery();
  }

  /**
   * The client sent a CancelRequest: a held operation stops waiting and is answered 57014, as
   * a cancelled query would be. Returns whether something was held.
   */
  cancelHold(): boolean {
    return this.holds.cancel();
  }

  /** The session ended: stops waiting for any decision and writes the last record. */
  end(reason: string): void {
    this.holds.stop();
    this.budget?.release();
    this.recorder?.emit('session_end', { reason });
  }

  private overThreshold(result: PendingResult): boolean {
    return result.rowsOver !== undefined && !result.approved && result.rows >= result.rowsOver;
  }

  private async holdRows(result: PendingResult): Promise<GateError | undefined> {
    const rule = result.rule ?? 'approval.rules';
    const reason = `a result of more than ${result.rowsOver} rows needs approval`;
    const tables = tablesOf(result.statements);
    const classified = this.recorder?.touchesClassified(tables) ?? tables.length > 0;
    const text = result.statements.map((s) => s.text).join('; ');
    const error = await this.holds.hold(rule, reason, {
      kind: 'rows',
      rowCount: result.rows,
      ...(text === '' ? {} : { statement: scrubStatement(text, classified).slice(0, 4096) }),
      classes: [...new Set(result.statements.flatMap((s) => s.classes))],
      tables,
    });
    if (error === undefined) result.approved = true;
    return error;
  }

  private rowLimitError(): GateError {
    const share = { pods: this.rowShare, here: this.rowsPerMinuteHere ?? 0 };
    return rowLimitExceeded(this.policyName, this.identityName, this.rowsPerMinute ?? 0, share);
  }

  private checked(
    protocol: 'simple' | 'parse' | 'function_call',
    text: string,
    verdict: Verdict | GateError,
    statements: StatementInfo[],
    name?: string,
  ): void {
    // statementsTotal is counted by the relay, which sees every verdict.
    if (!this.recorder) return;
    const { decision, rule } = describeVerdict(verdict);
    this.recorder.statement({
      protocol,
      text,
      tables: [...new Set(statements.flatMap((s) => [...s.tables.read, ...s.tables.written]))],
      decision,
      classes: [...new Set(statements.map((s) => s.class))],
      ...(name === undefined ? {} : { name }),
      ...(rule === undefined ? {} : { rule }),
    });
  }

  private takeMaskedCounts(masker: unknown): void {
    if (typeof (masker as Partial<CountingMasker> | undefined)?.takeCounts !== 'function') return;
    for (const { rule, count } of (masker as CountingMasker).takeCounts()) {
      this.maskedCounts.set(rule, (this.maskedCounts.get(rule) ?? 0) + count);
      this.options.metrics?.rowsMasked.labels(this.dataSource, rule).inc(count);
    }
  }

  private recordStart(): void {
    const { identity, decision } = this.context;
    this.recorder?.emit('session_start', { dataSource: this.dataSource });
    this.recorder?.emit('identity', {
      kind: identity.kind,
      name: identity.name,
      ...(identity.issuer === undefined ? {} : { issuer: identity.issuer }),
      groups: identity.groups,
    });
    this.recorder?.emit('decision', {
      policy: this.policyName,
      grantRole: decision.policy.spec.grant.role,
    });
  }
}

function describeVerdict(verdict: Verdict | GateError): {
  decision: 'allowed' | 'refused' | 'held';
  rule?: string;
} {
  if (verdict instanceof GateError) return { decision: 'refused', rule: 'parse' };
  if (verdict.action === 'allow') return { decision: 'allowed' };
  return { decision: verdict.action === 'refuse' ? 'refused' : 'held', rule: verdict.rule };
}

/** The row count a CommandComplete tag ends with (SELECT 5, INSERT 0 5, COPY 5), if any. */
function rowsOfTag(tag: string | undefined): number | undefined {
  const count = tag === undefined ? undefined : /\s(\d+)$/.exec(tag)?.[1];
  return count === undefined ? undefined : Number(count);
}

/** Every table the statements read or write, once. */
function tablesOf(statements: readonly StatementInfo[]): string[] {
  return [...new Set(statements.flatMap((s) => [...s.tables.written, ...s.tables.read]))];
}

/** schema.table of every table the DataSource classifies a column of. */
function classifiedTables(decision: Decision): Set<string> {
  const tables = new Set<string>();
  for (const column of Object.keys(decision.dataSource.spec.classification ?? {})) {
    const parts = column.split('.');
    if (parts.length >= 3) tables.add(`${parts[0]}.${parts[1]}`);
  }
  return tables;
}
