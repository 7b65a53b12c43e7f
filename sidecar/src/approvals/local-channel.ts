import { parseDuration, type AccessPolicy } from '@portcullis/crds';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import {
  AlreadyDecidedError,
  ApprovalQueue,
  requestName,
  type LocalDecision,
} from './approval-file.js';
import { checkDecider, DecisionRefusedError } from './approver-check.js';
import {
  ApprovalRequestError,
  type ApprovalAsk,
  type ApprovalChannel,
  type ApprovalOutcome,
} from './operator-channel.js';

/** Options of the standalone approval channel. */
export interface LocalApprovalChannelOptions {
  /** The queue directory (`--approvals-dir`). */
  dir: string;
  /** The policy an ask names (by name, for its DataSource), as the gate knows it now. */
  policyFor: (ask: ApprovalAsk) => AccessPolicy | undefined;
  logger: Logger;
  /** How often the decision file is looked for. Default 200 ms. */
  pollMs?: number;
}

/**
 * Standalone mode's approvals: each held operation becomes a file in a local directory, which
 * `portcullis approvals approve|deny` decides. The policy's approval timeout and approvers are
 * copied into the request when it is filed. The gate re-checks the decision it reads (decider
 * listed, not the requester, in time), so a decision file written by hand gains nothing.
 * NOTE: anyone who can write the queue directory can approve; the directory is created mode
 * 0700 and decidedBy is the OS user the CLI ran as, which the gate cannot verify.
 */
export class LocalApprovalChannel implements ApprovalChannel {
  private readonly queue: ApprovalQueue;

  constructor(private readonly options: LocalApprovalChannelOptions) {
    this.queue = new ApprovalQueue(options.dir);
  }

  async request(ask: ApprovalAsk, signal?: AbortSignal): Promise<ApprovalOutcome> {
    const approval = this.options.policyFor(ask)?.spec.approval;
    if (approval === undefined) {
      throw new ApprovalRequestError(`policy ${ask.policy} has no approval section`);
    }
    const now = Date.now();
    const name = requestName(ask.policy);
    const expiresAt = now + parseDuration(approval.timeout);
    try {
      await this.queue.init();
      await this.queue.add({
        name,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(expiresAt).toISOString(),
        ask,
        approvers: { users: approval.approvers.users, groups: approval.approvers.groups },
      });
    } catch (error) {
      throw new ApprovalRequestError('the approval request could not be queued', {
        cause: error,
      });
    }
    this.options.logger.info({ session: ask.session, request: name }, 'waiting for approval');
    return this.waitForDecision(name, ask, expiresAt, approval.approvers, signal);
  }

  private async waitForDecision(
    name: string,
    ask: ApprovalAsk,
    expiresAt: number,
    approvers: { users: string[]; groups: string[] },
    signal: AbortSignal | undefined,
  ): Promise<ApprovalOutcome> {
    const pollMs = this.options.pollMs ?? 200;
    while (Date.now() < expiresAt && !signal?.aborted) {
      let decision: LocalDecision | undefined;
      try {
        decision = await this.queue.decision(name);
      } catch (error) {
        this.options.logger.warn({ err: error, request: name }, 'unreadable decision; ignored');
      }
      if (decision !== undefined) return this.outcome(name, ask, decision, expiresAt, approvers);
      await sleep(Math.min(pollMs, Math.max(1, expiresAt - Date.now())), undefined, {
        signal,
      }).catch(() => undefined);
    }
    if (signal?.aborted) await this.withdraw(name);
    return { request: name, phase: 'Expired' };
  }

  /** Marks a request nobody waits for any more, so that the CLI stops offering it. */
  private async withdraw(name: string): Promise<void> {
    const decision: LocalDecision = {
      verdict: 'withdraw',
      decidedBy: 'portcullis',
      decidedAt: new Date().toISOString(),
      comment: 'the session stopped waiting',
    };
    await this.queue.decide(name, decision).catch((error: unknown) => {
      // A decision that raced the withdrawal stands; the gate acts on neither.
      if (!(error instanceof AlreadyDecidedError)) {
        this.options.logger.warn({ err: error, request: name }, 'could not withdraw request');
      }
    });
  }

  private outcome(
    name: string,
    ask: ApprovalAsk,
    decision: LocalDecision,
    expiresAt: number,
    approvers: { users: string[]; groups: string[] },
  ): ApprovalOutcome {
    const decided = {
      request: name,
      decidedBy: decision.decidedBy,
      ...(decision.comment === undefined ? {} : { comment: decision.comment }),
    };
    if (decision.verdict !== 'approve') return { ...decided, phase: 'Denied' };
    try {
      const decider = { user: decision.decidedBy, groups: decision.groups ?? [] };
      checkDecider(decider, ask.identity, approvers);
      if (Date.parse(decision.decidedAt) > expiresAt) {
        throw new DecisionRefusedError('the decision came after the request expired');
      }
    } catch (error) {
      if (!(error instanceof DecisionRefusedError)) throw error;
      this.options.logger.warn(
        { request: name, decidedBy: decision.decidedBy, reason: error.message },
        'approval ignored: refused on re-check',
      );
      return { ...decided, phase: 'Denied', comment: `approval refused: ${error.message}` };
    }
    return { ...decided, phase: 'Approved' };
  }
}
