import type { AccessPolicy } from '@portcullis/crds';
import type { Socket } from 'node:net';
import type { Counter } from 'prom-client';
import type { Logger } from 'pino';
import { GateError, internalError, SqlState } from '../errors/gate-error.js';
import type { GateMetrics } from '../observability/gate-metrics.js';
import { qualifiedName } from '../policy/decision.js';
import type { RowStep, SessionControls } from '../approvals/session-controls.js';
import type { CopyOutMasker } from '../masking/copy-out-masker.js';
import { refusalError } from '../masking/refusal-error.js';
import { scrubServerText } from '../masking/server-text-scrubber.js';
import {
  StatementParseError,
  type MaskedStatement,
  type PreparedMasking,
  type SessionMasking,
} from '../masking/session-masking.js';
import { readBindValues } from '../recording/bind-values.js';
import {
  readCommandComplete,
  readDataRow,
  readParameterStatus,
  readErrorFields,
  readReadyForQuery,
  readRowDescription,
} from '../wire/backend-decoders.js';
import { dataRow, errorResponse, parameterStatus } from '../wire/backend-messages.js';
import { MessageArena } from '../wire/message-arena.js';
import { ChunkFrame, type Frame, type FrameReader } from '../wire/frame-reader.js';
import { readParse, readQuery } from '../wire/frontend-messages.js';
import { MessageReader } from '../wire/message-reader.js';
import { MessageWriter } from '../wire/message-writer.js';
import { BackendCode, FrontendCode, TransactionStatus } from '../wire/message-codes.js';
import { OutputBatch } from './output-batch.js';
import { RefusalSubstitutes } from './refusal-substitutes.js';
import { ResponseTracker } from './response-tracker.js';
import { statementRefused } from './session-errors.js';
import { scrubbedFields, scrubbedNotification } from './server-text.js';
import { parameterStatusProblem } from './startup-parameters.js';
import type {
  RowMasker,
  RowMaskerFactory,
  SessionStatementGate,
  StatementInfo,
  Verdict,
} from './session-hooks.js';

/** The two sides of a relayed session and the policy hooks applied between them. */
export interface SessionRelayOptions {
  client: Socket;
  clientReader: FrameReader;
  upstream: Socket;
  upstreamReader: FrameReader;
  policy: AccessPolicy;
  gate: SessionStatementGate;
  maskers: RowMaskerFactory | undefined;
  /** The masking module's session masking; replaces maskers when set. */
  masking?: SessionMasking | undefined;
  logger: Logger;
  dataSource: string;
  metrics?: GateMetrics | undefined;
  /** Called once when the relay ends: reason is told to the client, why is logged. */
  onEnd: (reason: GateError | undefined, why: string) => void;
  /** Approvals, row limits and recording; without them a statement needing approval is refused. */
  controls?: SessionControls;
  /** Cancels the query running upstream (a CancelRequest with the upstream key). */
  cancelUpstream?: () => Promise<void>;
}

/** A result the masking policy refuses once its columns are known. */
class ResultRefused extends Error {
  constructor(readonly refusal: GateError) {
    super(refusal.message);
    this.name = 'ResultRefused';
  }
}

/** What masking made of one held Query or Parse before it is relayed. */
interface Preparation {
  frame: Frame;
  prepared: PreparedMasking | undefined;
  refusal: GateError | undefined;
}

/** A checked message: its verdict (a GateError when the check threw) and its statements. */
interface Checked {
  verdict: Verdict | GateError;
  statements: StatementInfo[];
}

/**
 * Moves messages between client and server. Messages pass as the raw bytes they arrived in;
 * only those the gate must act on are decoded: Query and Parse (statement gate), Bind,
 * Describe, Execute and Sync (which result a row belongs to), and from the server
 * RowDescription, DataRow (when a masker is active), ErrorResponse and ReadyForQuery.
 * Each direction stops reading while the other socket's write buffer is full, so memory
 * stays bounded whatever the size of a result or a COPY.
 */
export class SessionRelay {
  private readonly tracker: ResponseTracker;
  private readonly refusals = new RefusalSubstitutes();
  private readonly policyName: string;
  /** ReadyForQuery messages the client's messages so far will produce, and those seen. */
  private groupsSent = 0;
  private groupsDone = 0;
  private stopped = false;
  /** A statement waits for a human: client messages stay buffered in clientReader. */
  private clientHeld = false;
  /** A result waits for a human: server messages stay buffered, the upstream socket paused. */
  private serverHeld = false;
  /** The result being cut: everything up to ReadyForQuery is dropped, then this is answered. */
  private cut: GateError | undefined;
  private cancelling: Promise<void> | undefined;
  /** The server sent a FATAL (or PANIC) error: it closes the connection next, as told. */
  private serverEnded = false;
  /** Column formats of the last RowDescription, for recording rows. */
  private formats: number[] = [];
  /** Metric children bound once per session: a label lookup per chunk costs more than the count. */
  private readonly counted: {
    up?: Counter.Internal;
    down?: Counter.Internal;
    statements?: GateMetrics['statementsTotal'];
    allowed?: Counter.Internal;
  };

  /** A Query or Parse whose masking analysis is done, to be handled next. */
  private preparation: Preparation | undefined;
  /** Masks the CopyData rows of a COPY ... TO STDOUT in flight. */
  private copyMasker: CopyOutMasker | undefined;
  private readied: Frame | undefined;
  /** Where masked rows are written, one after the other. */
  private readonly arena = new MessageArena();

  constructor(private readonly options: SessionRelayOptions) {
    const { masking } = options;
    this.tracker = new ResponseTracker(masking ? planner(masking) : options.maskers);
    this.policyName = qualifiedName(options.policy);
    const { metrics, dataSource } = options;
    this.counted = metrics
      ? {
          up: metrics.relayedBytes.labels(dataSource, 'client_to_server'),
          down: metrics.relayedBytes.labels(dataSource, 'server_to_client'),
          statements: metrics.statementsTotal,
        }
      : {};
  }

  /** Attaches the socket handlers and relays whatever is already buffered. */
  start(): void {
    const { client, upstream } = this.options;
    client.on('data', (chunk: Buffer) => this.guard(() => this.fromClient(chunk)));
    upstream.on('data', (chunk: Buffer) => this.guard(() => this.fromServer(chunk)));
    upstream.on('error', (error) =>
      this.options.logger.warn({ err: error }, 'server connection error'),
    );
    upstream.once('close', () => {
      // The client has the server's own FATAL already; PostgreSQL sends no second error.
      if (this.serverEnded) return this.finish(undefined, 'the server ended the session');
      this.finish(
        new GateError({
          sqlstate: SqlState.connectionFailure,
          severity: 'FATAL',
          message: 'the server closed the connection',
        }),
        'server closed the connection',
      );
    });
    client.resume();
    upstream.resume();
    this.guard(() => this.fromClient(Buffer.alloc(0)));
    this.guard(() => this.fromServer(Buffer.alloc(0)));
  }

  /** Detaches from both sockets; the session closes them. */
  stop(): void {
    this.stopped = true;
    this.options.client.removeAllListeners('data');
    this.options.upstream.removeAllListeners('data');
  }

  private fromClient(chunk: Buffer): void {
    const { clientReader, upstream, client } = this.options;
    clientReader.push(chunk);
    this.counted.up?.inc(chunk.length);
    if (this.clientHeld) return void client.pause();
    const out = new OutputBatch();
    for (let frame = this.nextClientFrame(); frame; frame = this.nextClientFrame()) {
      if (this.stopped) return;
      if (this.mustPrepare(frame) && !this.prepareNow(frame)) {
        this.prepare(frame);
        break;
      }
      if (!this.clientMessage(frame, out)) break;
    }
    if (this.stopped) return;
    if (!out.flushTo(upstream)) pauseUntilDrain(client, upstream);
  }

  private nextClientFrame(): Frame | undefined {
    const readied = this.readied;
    this.readied = undefined;
    return readied ?? this.options.clientReader.next();
  }

  /** Must masking analyse this message (a Query or Parse) before it is relayed? */
  private mustPrepare(frame: Frame): boolean {
    if (!this.options.masking || this.preparation?.frame === frame) return false;
    return frame.code === FrontendCode.query || frame.code === FrontendCode.parse;
  }

  /**
   * The masking analysis of this message without holding the client, when the catalog holds
   * what it needs already; false when prepare() must wait for catalog reads.
   */
  private prepareNow(frame: Frame): boolean {
    const masking = this.options.masking as SessionMasking;
    let prepared: PreparedMasking | undefined;
    try {
      if (frame.code === FrontendCode.query) {
        prepared = masking.prepareQueryNow(readQuery(frame.body));
      } else {
        const parse = readParse(frame.body);
        prepared = masking.prepareParseNow(parse.name, parse.sql);
      }
    } catch (error) {
      this.preparation = { frame, prepared: undefined, refusal: this.analysisFailed(error) };
      return true;
    }
    if (prepared === undefined) return false;
    const refusal = prepared.refusal ? refusalError(prepared.refusal) : undefined;
    this.preparation = { frame, prepared, refusal };
    return true;
  }

  /**
   * Holds the client's messages while masking reads what it needs from the catalog, then
   * handles this one again with the analysis at hand. A failed analysis refuses the message.
   */
  private prepare(frame: Frame): void {
    const masking = this.options.masking as SessionMasking;
    const held = copyFrame(frame);
    this.clientHeld = true;
    this.options.client.pause();

    let work: Promise<PreparedMasking>;
    if (held.code === FrontendCode.query) work = masking.prepareQuery(readQuery(held.body));
    else {
      const parse = readParse(held.body);
      work = masking.prepareParse(parse.name, parse.sql);
    }
    const done = (preparation: Preparation): void =>
      this.guard(() => {
        this.clientHeld = false;
        this.preparation = preparation;
        this.readied = held;
        this.options.client.resume();
        this.fromClient(Buffer.alloc(0));
      });
    work.then(
      (prepared) => {
        const refusal = prepared.refusal ? refusalError(prepared.refusal) : undefined;
        done({ frame: held, prepared, refusal });
      },
      (error: unknown) => {
        done({ frame: held, prepared: undefined, refusal: this.analysisFailed(error) });
      },
    );
  }

  /** Logs why masking could not analyse a statement; the statement is refused. */
  private analysisFailed(error: unknown): GateError {
    // A parser's message quotes the statement near the error, maybe a literal value.
    const logged = error instanceof StatementParseError ? {} : { err: error };
    this.options.logger.info(logged, 'masking could not analyse a statement');
    return maskingFailed(error);
  }

  /** The masking analysis of this Query or Parse (none when the session masks nothing). */
  private prepared(frame: Frame): Omit<Preparation, 'frame'> {
    const preparation = this.preparation;
    if (preparation?.frame !== frame) return { prepared: undefined, refusal: undefined };
    this.preparation = undefined;
    return preparation;
  }

  /** Handles one client message; returns false once the session is over. */
  private clientMessage(frame: Frame, out: OutputBatch): boolean {
    switch (frame.code) {
      case FrontendCode.query: {
        this.groupsSent++;
        const masked = this.prepared(frame);
        this.tracker.query(masked.prepared?.statements);
        const sql = readQuery(frame.body);
        if (this.options.controls) {
          const checked = withMasking(
            this.checked(() => this.options.gate.checkQuery(sql)),
            masked.refusal,
          );
          this.options.controls.query(sql, checked.verdict, checked.statements);
          return this.pass(frame, checked, sql, out, (e) => queryMessage(this.substitute(e)));
        }
        const refusal =
          this.check(() => this.options.gate.checkQuery(sql).verdict) ?? masked.refusal;
        out.add(refusal ? queryMessage(this.substitute(refusal)) : frame.bytes);
        return true;
      }
      case FrontendCode.parse: {
        const parse = readParse(frame.body);
        const masked = this.prepared(frame);
        if (this.options.controls) {
          const checked = withMasking(
            this.checked(() => this.options.gate.checkParse(parse.name, parse.sql)),
            masked.refusal,
          );
          this.options.controls.parse(parse.name, parse.sql, checked.verdict, checked.statements);
          // Preparing runs nothing: with per-Bind checks, the approval waits for the Bind.
          const { verdict } = checked;
          const deferred = this.options.gate.checkExecute !== undefined;
          if (deferred && !(verdict instanceof GateError) && verdict.action === 'approve') {
            out.add(frame.bytes);
            return true;
          }
          return this.pass(frame, checked, parse.sql, out, (e) =>
            parseMessage(parse.name, this.substitute(e)),
          );
        }
        const refusal =
          this.check(() => this.options.gate.checkParse(parse.name, parse.sql).verdict) ??
          masked.refusal;
        out.add(refusal ? parseMessage(parse.name, this.substitute(refusal)) : frame.bytes);
        return true;
      }
      case FrontendCode.bind: {
        const reader = new MessageReader(frame.body);
        const portal = reader.cstring();
        const statement = reader.cstring();
        this.tracker.bind(portal, this.options.masking?.parsedStatement(statement));
        const { checkExecute } = this.options.gate;
        const { controls } = this.options;
        controls?.bind(portal, statement, () => readBindValues(frame.body));
        if (controls && checkExecute) {
          const checked = this.checked(() => checkExecute.call(this.options.gate, statement));
          const text = checked.statements.map((info) => info.text).join('; ');
          return this.pass(frame, checked, text, out, (e) =>
            bindMessage(portal, this.substitute(e)),
          );
        }
        const refusal =
          checkExecute && this.check(() => checkExecute.call(this.options.gate, statement).verdict);
        // A Bind of a statement that does not exist fails like the refused one should.
        out.add(refusal ? bindMessage(portal, this.substitute(refusal)) : frame.bytes);
        return true;
      }
      case FrontendCode.describe: {
        const reader = new MessageReader(frame.body);
        const kind = reader.byte();
        if (kind === 0x50)
          this.tracker.describePortal(reader.cstring()); // 'P'
        else this.tracker.describeStatement();
        break;
      }
      case FrontendCode.execute: {
        const portal = new MessageReader(frame.body).cstring();
        if (this.tracker.needsDescribe(portal)) {
          // Rows can only be masked by their columns: learn them, and keep the answer.
          out.add(describePortalMessage(portal));
          this.tracker.describePortal(portal, true);
        }
        this.tracker.execute(portal);
        this.options.controls?.execute(portal);
        break;
      }
      case FrontendCode.close: {
        const reader = new MessageReader(frame.body);
        const kind = reader.byte();
        const name = reader.cstring();
        if (kind === 0x50)
          this.tracker.closePortal(name); // 'P'
        else {
          this.options.gate.closeStatement?.(name);
          this.options.masking?.closeStatement(name);
        }
        break;
      }
      case FrontendCode.sync:
        this.groupsSent++;
        this.tracker.sync();
        this.options.controls?.sync();
        break;
      case FrontendCode.functionCall:
        this.groupsSent++;
        this.tracker.query();
        {
          const refusal = this.check(() => this.functionCallVerdict());
          this.options.controls?.functionCall(refusal ?? { action: 'allow' });
          if (refusal) {
            out.add(queryMessage(this.substitute(refusal)));
            return true;
          }
        }
        break;
      case FrontendCode.terminate:
        out.add(frame.bytes);
        out.flushTo(this.options.upstream);
        this.finish(undefined, 'client sent Terminate');
        return false;
    }
    out.add(frame.bytes);
    return true;
  }

  private fromServer(chunk: Buffer): void {
    const { upstreamReader, upstream, client } = this.options;
    upstreamReader.push(chunk);
    this.counted.down?.inc(chunk.length);
    // While a result is held, TCP backpressure holds the server: read nothing more.
    if (this.serverHeld) return void upstream.pause();
    const out = new OutputBatch();
    for (let frame = upstreamReader.next(); frame; frame = upstreamReader.next()) {
      if (this.stopped) return;
      const { controls } = this.options;
      if (!controls && this.cut) {
        this.cutting(frame, out, undefined);
        if (this.serverHeld) break;
        continue;
      }
      if (controls && this.controlled(frame, out, controls)) {
        if (this.serverHeld) break;
        continue;
      }
      this.serverMessage(frame, out);
    }
    if (this.stopped) return;
    if (!out.flushTo(client)) pauseUntilDrain(upstream, client);
    else if (this.options.controls?.recordingBehind(() => this.serverHeld || upstream.resume())) {
      // The recording keeps rows and its output is behind: hold the server as for a slow client.
      upstream.pause();
    }
  }

  private serverMessage(frame: Frame, out: OutputBatch): void {
    const tracking = this.tracker.enabled;
    switch (frame.code) {
      case BackendCode.dataRow: {
        const masker = tracking ? this.tracker.maskerForRow() : undefined;
        if (masker?.active) {
          if (masker.maskDataRow) {
            // Read in place: the row's body is not made a view of its own.
            if (frame instanceof ChunkFrame) {
              const { chunk, bodyStart, end } = frame;
              return out.add(masker.maskDataRow(chunk, this.arena, bodyStart, end));
            }
            return out.add(masker.maskDataRow(frame.body, this.arena));
          }
          return out.add(dataRow(masker.maskRow(readDataRow(frame.body))));
        }
        break;
      }
      case BackendCode.rowDescription:
        try {
          if (tracking && !this.tracker.rowDescription(readRowDescription(frame.body))) return;
        } catch (error) {
          if (!(error instanceof ResultRefused)) throw error;
          // The policy refuses this result by its columns: none of it reaches the client.
          return void this.beginCut(error.refusal);
        }
        break;
      case BackendCode.noData:
        if (tracking && !this.tracker.noData()) return;
        break;
      case BackendCode.commandComplete:
        this.tracker.executeDone();
        // Names and columns may have changed: the catalog cache must be read again.
        if (this.options.masking && DDL_TAG.test(readCommandComplete(frame.body))) {
          this.options.masking.invalidate();
        }
        break;
      case BackendCode.emptyQueryResponse:
      case BackendCode.portalSuspended:
        this.tracker.executeDone();
        break;
      case BackendCode.copyOutResponse:
        if (this.options.masking) return this.copyOut(frame, out, this.options.masking);
        break;
      case BackendCode.copyData:
        if (this.copyMasker?.active) {
          return out.add(copyDataMessage(this.copyMasker.maskData(frame.body)));
        }
        break;
      case BackendCode.copyDone:
        this.copyMasker = undefined;
        break;
      case BackendCode.errorResponse: {
        // The statement the error belongs to, before the tracker skips past it.
        const statement = this.tracker.currentStatement();
        this.tracker.error();
        this.copyMasker = undefined;
        const fields = readErrorFields(frame.body);
        if (fields.severity === 'FATAL' || fields.severity === 'PANIC') this.serverEnded = true;
        const refusal = this.refusals.waiting ? this.refusals.match(fields) : undefined;
        if (refusal) return out.add(errorResponse(refusal));
        if (this.options.masking) return out.add(this.scrubbed(frame.code, frame, statement));
        break;
      }
      case BackendCode.noticeResponse:
        if (this.options.masking) {
          const statement = this.tracker.currentStatement();
          return out.add(this.scrubbed(frame.code, frame, statement));
        }
        break;
      case BackendCode.notificationResponse:
        // NOTE: a notification payload is scrubbed by the value detectors only: a classified
        // value they do not recognise (a name, an address) reaches a listener in clear.
        if (this.options.masking) {
          return out.add(scrubbedNotification(frame.code, frame.body, detectedValuesOnly));
        }
        break;
      case BackendCode.parameterStatus: {
        // A function's SET clause, or set_config inside one, can move a parser setting.
        const { name, value } = readParameterStatus(frame.body);
        const problem = parameterStatusProblem(name, value);
        if (problem) throw problem;
        // application_name is free text a statement can set from any value; the other
        // reported settings only take values their syntax allows.
        // NOTE: a TimeZone set from a value (a POSIX zone such as 'ABC+3') is reported as is.
        const { masking } = this.options;
        if (masking && name === FREE_TEXT_SETTING) {
          const statement = this.tracker.currentStatement() as MaskedStatement | undefined;
          return out.add(parameterStatus(name, masking.scrubServerValue(value, statement)));
        }
        break;
      }
      case BackendCode.readyForQuery:
        this.groupsDone++;
        this.tracker.readyForQuery();
        this.refusals.readyForQuery(this.groupsDone);
        break;
    }
    out.add(frame.bytes);
  }

  /**
   * What the controls make of a server message before it is relayed; returns true when it
   * was handled here (held, cut, or relayed with its row recorded).
   */
  private controlled(frame: Frame, out: OutputBatch, controls: SessionControls): boolean {
    if (this.cut) return this.cutting(frame, out, controls);
    switch (frame.code) {
      case BackendCode.copyData: {
        // COPY ... TO STDOUT sends each row in its own CopyData (a binary copy's header and
        // trailer ride along, so such a copy counts one row more).
        if (!controls.watchesRows) return false;
        const step = controls.row();
        return step.kind === 'pass' ? false : this.stopResult(frame, step);
      }
      case BackendCode.dataRow: {
        if (!controls.watchesRows) return false;
        const step = controls.row();
        if (step.kind !== 'pass') return this.stopResult(frame, step);
        if (!controls.wantsRows) return false;
        const masker = this.resultMasker();
        const cells = readDataRow(frame.body);
        const sent = masker?.active ? masker.maskRow(cells) : cells;
        controls.delivered(sent, this.formats);
        out.add(masker?.active ? dataRow(sent) : frame.bytes);
        return true;
      }
      case BackendCode.rowDescription:
        if (controls.wantsRows) this.formats = readRowDescription(frame.body).map((c) => c.format);
        return false;
      case BackendCode.commandComplete:
        controls.resultDone(readCommandComplete(frame.body), false, this.resultMasker());
        return false;
      case BackendCode.emptyQueryResponse:
        controls.resultDone(undefined, false);
        return false;
      case BackendCode.portalSuspended:
        controls.resultDone(undefined, true, this.resultMasker());
        return false;
      case BackendCode.errorResponse: {
        const fields = readErrorFields(frame.body);
        // A refusal's stand-in error: the statement record already says it was refused.
        const standIn = fields.message.includes('portcullis_refused_');
        const message = standIn ? undefined : this.serverText(fields.message);
        controls.error(fields.code, message, this.resultMasker());
        return false;
      }
      case BackendCode.readyForQuery:
        controls.readyForQuery();
        return false;
    }
    return false;
  }

  /**
   * An ErrorResponse or NoticeResponse with the values it quotes scrubbed by the masking of
   * the statement it answers (strictly when that is unknown: fail closed).
   * NOTE: a statement that names no classified table but calls a user function reading one
   * (`SELECT f()` where f casts an email to int) gets the detectors only: a value they do not
   * recognise (a name) in the function's error reaches the client.
   */
  private scrubbed(code: number, frame: Frame, statement: unknown): Buffer {
    const masking = this.options.masking as SessionMasking;
    const scrub = (text: string) =>
      masking.scrubServerText(text, statement as MaskedStatement | undefined);
    return scrubbedFields(code, frame.body, scrub);
  }

  /**
   * Server error text as the client gets it, for the recording: scrubbed when masking.
   * NOTE: under a policy that masks nothing, the recorder scrubs it with the detectors only: a
   * classified value they do not recognise (a name cast to int) is recorded as quoted.
   */
  private serverText(text: string): string {
    const { masking } = this.options;
    if (!masking) return text;
    return masking.scrubServerText(
      text,
      this.tracker.currentStatement() as MaskedStatement | undefined,
    );
  }

  /** The masker of the result the next row belongs to, when the session masks. */
  private resultMasker(): RowMasker | undefined {
    return this.tracker.enabled ? this.tracker.maskerForRow() : undefined;
  }

  /** A row the controls stopped: wait for a decision with the server paused, or cut. */
  private stopResult(frame: Frame, step: Exclude<RowStep, { kind: 'pass' }>): boolean {
    if (step.kind === 'cut') return this.startCut(step.error, frame);
    const held = copyFrame(frame);
    this.serverHeld = true;
    this.options.upstream.pause();
    step.decision.then(
      (error) => this.guard(() => this.resumeServer(held, error)),
      (error: unknown) =>
        this.guard(() => {
          throw error;
        }),
    );
    return true;
  }

  private resumeServer(held: Frame, error: GateError | undefined): void {
    this.serverHeld = false;
    const out = new OutputBatch();
    const { controls } = this.options;
    if (error) this.startCut(error, held);
    else if (!controls && this.cut) this.cutting(held, out, undefined);
    else if (!(controls && this.controlled(held, out, controls))) this.serverMessage(held, out);
    out.flushTo(this.options.client);
    if (this.serverHeld) return;
    // Frames already buffered are relayed (and paused for, if the client is slow) from here.
    this.options.upstream.resume();
    this.fromServer(Buffer.alloc(0));
  }

  /**
   * Cuts the result in flight: cancels the query upstream and drops what the server still
   * sends for it up to ReadyForQuery, where the client gets the error instead; the client so
   * sees an error where the result would have ended, and no CommandComplete for it.
   * NOTE: when the client pipelined another query behind the cut one and the cut query ends
   * before the CancelRequest arrives, the cancel can reach that next query instead.
   */
  private startCut(error: GateError, frame: Frame): boolean {
    this.beginCut(error);
    this.serverMessage(frame, new OutputBatch());
    return true;
  }

  /**
   * COPY ... TO STDOUT sends no RowDescription: its rows are masked by the statement's
   * lineage, or the COPY is cut when the policy refuses it or the statement is unknown.
   */
  private copyOut(frame: Frame, out: OutputBatch, masking: SessionMasking): void {
    const statement = this.tracker.currentStatement() as MaskedStatement | undefined;
    const reader = new MessageReader(frame.body);
    reader.byte(); // overall format
    const columns = reader.int16();
    const plan = statement
      ? masking.planCopy(statement, columns)
      : ({ action: 'refuse', refusal: UNKNOWN_COPY } as const);
    if (plan.action === 'refuse') return this.beginCut(refusalError(plan.refusal));
    this.copyMasker = plan.masker;
    out.add(frame.bytes);
  }

  /** Starts dropping the result in flight and cancels it upstream (see startCut). */
  private beginCut(error: GateError): void {
    this.cut = error;
    this.options.logger.info({ sqlstate: error.sqlstate }, 'result cut; cancelling upstream');
    const cancel = this.options.cancelUpstream?.() ?? Promise.resolve();
    this.cancelling = cancel
      .catch((err: unknown) => this.options.logger.warn({ err }, 'upstream cancel failed'))
      .finally(() => (this.cancelling = undefined));
  }

  private cutting(frame: Frame, out: OutputBatch, controls: SessionControls | undefined): boolean {
    if (frame.code !== BackendCode.readyForQuery) {
      if (frame.code === BackendCode.errorResponse) {
        controls?.error('57014', undefined, this.resultMasker());
      } else if (frame.code === BackendCode.commandComplete) {
        controls?.resultDropped(this.resultMasker());
      }
      this.serverMessage(frame, new OutputBatch());
      return true;
    }
    // Hold ReadyForQuery until the CancelRequest has been delivered, so that a late cancel
    // cannot reach the client's next query.
    const cancelling = this.cancelling;
    if (cancelling) {
      const held = copyFrame(frame);
      this.serverHeld = true;
      this.options.upstream.pause();
      void cancelling.then(() => this.guard(() => this.resumeServer(held, undefined)));
      return true;
    }
    const error = this.cut as GateError;
    this.cut = undefined;
    controls?.refused(error);
    controls?.readyForQuery();
    const open = readReadyForQuery(frame.body) === TransactionStatus.inTransaction;
    if (open) {
      this.serverMessage(frame, new OutputBatch());
      if (this.groupsSent === this.groupsDone) {
        // The query finished before the cancel reached it, inside a transaction block: abort
        // the block as a failing statement would, with a stand-in whose error is ours.
        this.groupsSent++;
        this.tracker.query();
        controls?.standIn();
        this.options.upstream.write(queryMessage(this.substitute(error)));
        return true;
      }
      // NOTE: with client messages pipelined after the cut result, the server's transaction
      // stays open (status T) although the client saw an error; the gate cannot abort it in
      // order.
      out.add(errorResponse(error));
      out.add(frame.bytes);
      return true;
    }
    out.add(errorResponse(error));
    this.serverMessage(frame, out);
    return true;
  }

  /** Runs a Query/Parse/Bind check; a GateError it throws refuses the message. */
  private checked(check: () => { verdict: Verdict; statements: StatementInfo[] }): Checked {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof GateError)) throw error;
      this.options.logger.info({ sqlstate: error.sqlstate }, 'statement refused by its check');
      return { verdict: error, statements: [] };
    }
  }

  /**
   * Relays a checked message, its refusal in its place, or, when it needs approval, holds it
   * and every client message after it until a human decides; returns false while held.
   */
  private pass(
    frame: Frame,
    checked: Checked,
    text: string,
    out: OutputBatch,
    substitute: (refusal: GateError) => Buffer,
  ): boolean {
    const { verdict, statements } = checked;
    const controls = this.options.controls;
    if (verdict instanceof GateError) {
      controls?.refused(verdict);
      out.add(substitute(verdict));
      return true;
    }
    if (verdict.action !== 'approve' || !controls) {
      const refusal = this.refusal(verdict);
      if (refusal) controls?.refused(refusal);
      out.add(refusal ? substitute(refusal) : frame.bytes);
      return true;
    }

    this.counted.statements?.labels(this.options.dataSource, 'held', verdict.rule).inc();
    this.options.logger.info({ rule: verdict.rule }, 'statement held for approval');
    const held = Buffer.from(frame.bytes);
    this.clientHeld = true;
    this.options.client.pause();
    controls.holdStatement(verdict, statements, text).then(
      (refusal) =>
        this.guard(() => {
          this.clientHeld = false;
          const next = new OutputBatch();
          if (refusal) controls.refused(refusal);
          next.add(refusal ? substitute(refusal) : held);
          if (!next.flushTo(this.options.upstream)) {
            pauseUntilDrain(this.options.client, this.options.upstream);
          } else this.options.client.resume();
          this.fromClient(Buffer.alloc(0));
        }),
      (error: unknown) =>
        this.guard(() => {
          throw error;
        }),
    );
    return false;
  }

  /**
   * Runs a statement check; a GateError it throws (a statement it cannot parse, say) refuses
   * that statement, not the session.
   */
  private check(verdictOf: () => Verdict): GateError | undefined {
    try {
      return this.refusal(verdictOf());
    } catch (error) {
      if (!(error instanceof GateError)) throw error;
      this.options.logger.info({ sqlstate: error.sqlstate }, 'statement refused by its check');
      return error;
    }
  }

  private functionCallVerdict(): Verdict {
    const { gate, policy } = this.options;
    // A FunctionCallResponse carries no column origins: under masking it is refused.
    if (this.tracker.enabled) {
      const message = 'fast-path function calls are refused while results are masked';
      return { action: 'refuse', rule: 'masking', message };
    }
    if (gate.checkFunctionCall) return gate.checkFunctionCall();
    if (policy.spec.guardrails.allowFunctionCall) return { action: 'allow' };
    const message = 'fast-path function calls (FunctionCall messages) are not allowed';
    return { action: 'refuse', rule: 'guardrails.allowFunctionCall', message };
  }

  /** The client-visible refusal for a verdict, or undefined to let the statement through. */
  private refusal(verdict: Verdict): GateError | undefined {
    const decision =
      verdict.action === 'allow' ? 'allowed' : verdict.action === 'refuse' ? 'refused' : 'held';
    if (verdict.action === 'allow') {
      // Nearly every statement: its series is bound once per session.
      this.counted.allowed ??= this.counted.statements?.labels(
        this.options.dataSource,
        decision,
        '',
      );
      this.counted.allowed?.inc();
      return undefined;
    }
    this.counted.statements?.labels(this.options.dataSource, decision, verdict.rule).inc();
    if (verdict.action === 'refuse') {
      this.options.logger.info({ rule: verdict.rule }, 'statement refused');
      return statementRefused(this.policyName, verdict);
    }
    // Without session controls (no approval channel) an operation that needs a human is
    // refused (fail closed) with the rule that asked for approval.
    this.options.logger.info({ rule: verdict.rule }, 'statement needs approval; refused');
    return statementRefused(this.policyName, {
      rule: verdict.rule,
      message: `this statement needs approval (${verdict.reason}), and this gate has no approval channel`,
    });
  }

  private substitute(refusal: GateError): string {
    // A Parse belongs to the group its next Sync closes; a Query is its own group.
    return this.refusals.substitute(refusal, this.groupsSent + 1);
  }

  private guard(step: () => void): void {
    if (this.stopped) return;
    try {
      step();
    } catch (error) {
      if (error instanceof GateError) return this.finish(error, error.message);
      this.options.logger.error({ err: error }, 'relay failed');
      this.finish(internalError(error), 'relay failed');
    }
  }

  private finish(reason: GateError | undefined, why: string): void {
    if (this.stopped) return;
    this.stop();
    this.options.onEnd(reason, why);
  }
}

const UNKNOWN_COPY = {
  rule: 'masking',
  message: 'Portcullis cannot tell which columns this COPY returns, so it cannot mask them',
};

function copyDataMessage(data: Buffer): Buffer {
  return new MessageWriter().bytes(data).build(BackendCode.copyData);
}

/** Scrubs what the value detectors recognise; for text that is a value, not a message. */
function detectedValuesOnly(text: string): string {
  return scrubServerText(text, false);
}

/** The reported setting whose value is free text (ParameterStatus). */
const FREE_TEXT_SETTING = 'application_name';

/** Command tags after which table and column names may have changed. */
const DDL_TAG = /^(CREATE|ALTER|DROP|COMMENT|GRANT|REVOKE|TRUNCATE) /;

/** The tracker's planner: a masker per result, or ResultRefused for one the policy refuses. */
function planner(masking: SessionMasking): RowMaskerFactory {
  return (columns, statement) => {
    const plan = masking.planResult(columns, statement as MaskedStatement | undefined);
    if (plan.action === 'refuse') throw new ResultRefused(refusalError(plan.refusal));
    return plan.masker;
  };
}

/** A Query or Parse whose masking analysis failed is refused: rows cannot be masked blind. */
function maskingFailed(error: unknown): GateError {
  if (error instanceof GateError) return error;
  return new GateError({
    sqlstate: SqlState.insufficientPrivilege,
    message: 'Portcullis cannot tell which columns this statement returns, so it cannot mask them',
    cause: error,
  });
}

/** The check with the masking refusal in place of an allowing verdict. */
function withMasking(checked: Checked, refusal: GateError | undefined): Checked {
  if (refusal === undefined) return checked;
  const { verdict } = checked;
  if (verdict instanceof GateError || verdict.action === 'refuse') return checked;
  return { ...checked, verdict: refusal };
}

/** Stops reading from source until destination has written out its buffer. */
function pauseUntilDrain(source: Socket, destination: Socket): void {
  source.pause();
  destination.once('drain', () => source.resume());
}

/** A frame that outlives the chunk it arrived in. */
function copyFrame(frame: Frame): Frame {
  const bytes = Buffer.from(frame.bytes);
  return { code: frame.code, bytes, body: bytes.subarray(bytes.length - frame.body.length) };
}

function queryMessage(sql: string): Buffer {
  return new MessageWriter().cstring(sql).build(FrontendCode.query);
}

function bindMessage(portal: string, statement: string): Buffer {
  // No parameter formats, no parameters, no result formats.
  return new MessageWriter()
    .cstring(portal)
    .cstring(statement)
    .int16(0)
    .int16(0)
    .int16(0)
    .build(FrontendCode.bind);
}

function parseMessage(name: string, sql: string): Buffer {
  return new MessageWriter().cstring(name).cstring(sql).int16(0).build(FrontendCode.parse);
}

function describePortalMessage(portal: string): Buffer {
  return new MessageWriter().byte(0x50).cstring(portal).build(FrontendCode.describe);
}
