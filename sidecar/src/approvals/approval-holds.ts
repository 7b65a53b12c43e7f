import type { AccessPolicy } from '@portcullis/crds';
import type { Logger } from 'pino';
import { GateError, SqlState } from '../errors/gate-error.js';
import type { GateMetrics } from '../observability/gate-metrics.js';
import { qualifiedName } from '../policy/decision.js';
import type { SessionRecorder } from '../recording/session-recorder.js';
import { scrubValues } from '../recording/value-scrubber.js';
import type { ApprovalAsk, ApprovalChannel, ApprovalOutcome } from './operator-channel.js';

/** Who asks, under which policy, and where outcomes are counted and recorded. */
export interface ApprovalHoldsOptions {
  policy: AccessPolicy;
  dataSource: string;
  identity: string;
  session: string;
  logger: Logger;
  approvals?: ApprovalChannel;
  metrics?: GateMetrics;
  recorder?: SessionRecorder;
}

/**
 * The holds of one session: each asks the approval channel and turns its outcome into what
 * the client gets, undefined (go on) or the error to answer. Denied, expired, unrequestable
 * and channel-less holds all refuse: a hold never ends in going on without an approval.
 */
export class ApprovalHolds {
  private readonly ended = new AbortController();
  private readonly policyName: string;
  /**
   * Aborts the hold in progress when the client cancels it.
   * NOTE: a pipelining client can have a statement and a result held at once; a CancelRequest
   * then withdraws only the later hold.
   */
  private current: AbortController | undefined;

  constructor(private readonly options: ApprovalHoldsOptions) {
    this.policyName = qualifiedName(options.policy);
  }

  /** Stops the hold in progress for a CancelRequest; returns whether there was one. */
  cancel(): boolean {
    if (this.current === undefined) return false;
    this.current.abort();
    return true;
  }

  /** The session ended: nobody waits for a decision any more. */
  stop(): void {
    this.ended.abort();
  }

  /** Holds an operation until a decision; resolves undefined once it is approved. */
  async hold(
    rule: string,
    reason: string,
    operation: ApprovalAsk['operation'],
  ): Promise<GateError | undefined> {
    const { approvals, recorder } = this.options;
    const ask: ApprovalAsk = {
      policy: this.options.policy.metadata.name,
      dataSource: this.options.dataSource,
      identity: this.options.identity,
      session: this.options.session,
      operation,
      reason,
    };
    recorder?.emit('approval', { state: 'requested', rule, reason, operation: operation.kind });
    if (approvals === undefined) {
      this.count('failed');
      return this.refusal(rule, `${reason}, and this gate has no approval channel`);
    }

    let outcome: ApprovalOutcome;
    const cancel = new AbortController();
    this.current = cancel;
    try {
      outcome = await approvals.request(ask, AbortSignal.any([this.ended.signal, cancel.signal]));
    } catch (error) {
      this.options.logger.error({ err: error, rule }, 'approval could not be requested');
      this.count('failed');
      recorder?.emit('approval', { state: 'failed', rule });
      return this.refusal(rule, `${reason}, but the approval request could not be filed`);
    } finally {
      this.current = undefined;
    }
    if (outcome.phase !== 'Approved' && cancel.signal.aborted) return this.cancelled(outcome, rule);
    return this.decided(outcome, rule, reason);
  }

  private decided(outcome: ApprovalOutcome, rule: string, reason: string): GateError | undefined {
    const { request, phase, decidedBy } = outcome;
    const label = phase === 'Approved' ? 'approved' : phase === 'Denied' ? 'denied' : 'timed_out';
    this.count(this.ended.signal.aborted ? 'failed' : label);
    this.options.recorder?.emit('approval', {
      state: label,
      request,
      rule,
      decidedBy: decidedBy ?? null,
      comment: outcome.comment === undefined ? null : scrubValues(outcome.comment),
    });
    this.options.logger.info({ request, phase, decidedBy, rule }, 'approval decided');
    if (phase === 'Approved') return undefined;
    const how =
      phase === 'Denied'
        ? `was denied${decidedBy ? ` by ${decidedBy}` : ''}`
        : 'timed out without a decision';
    return this.refusal(rule, `${reason}: approval request ${request} ${how}`);
  }

  /** The client cancelled while waiting: 57014, as for any cancelled statement. */
  private cancelled(outcome: ApprovalOutcome, rule: string): GateError {
    this.options.recorder?.emit('approval', {
      state: 'cancelled',
      request: outcome.request,
      rule,
    });
    this.count('failed');
    return new GateError({
      sqlstate: SqlState.queryCanceled,
      message: 'canceling statement due to user request',
      detail: `approval request ${outcome.request} withdrawn (policy ${this.policyName}, rule ${rule})`,
    });
  }

  private refusal(rule: string, message: string): GateError {
    return new GateError({
      sqlstate: SqlState.insufficientPrivilege,
      message: `${message} (policy ${this.policyName}, rule ${rule})`,
      detail: `policy ${this.policyName}, rule ${rule}`,
    });
  }

  private count(outcome: 'approved' | 'denied' | 'timed_out' | 'failed'): void {
    this.options.metrics?.approvalsTotal.inc({ data_source: this.options.dataSource, outcome });
  }
}
