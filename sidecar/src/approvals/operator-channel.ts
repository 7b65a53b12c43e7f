import { setTimeout as sleep } from 'node:timers/promises';
import type { StatementClass } from '@portcullis/crds';
import type { Logger } from 'pino';
import {
  answerMessage,
  operatorRequest,
  type OperatorEndpoint,
} from '../policy/operator-request.js';

/** What the gate holds for a human: sent to the operator, which files an AccessRequest. */
export interface ApprovalAsk {
  policy: string;
  dataSource: string;
  /** Who is waiting: the OIDC subject or the workload's service account. */
  identity: string;
  session: string;
  operation: {
    kind: 'statement' | 'rows';
    statement?: string;
    classes?: StatementClass[];
    tables?: string[];
    rowCount?: number;
  };
  /** The approval rule that matched, in words. */
  reason: string;
}

/** How a held operation ended. Anything but Approved means the gate refuses it. */
export interface ApprovalOutcome {
  /** The AccessRequest's name, for the recording and the client's error message. */
  request: string;
  phase: 'Approved' | 'Denied' | 'Expired';
  decidedBy?: string;
  comment?: string;
}

/** Asks a human to decide an operation and waits for the answer. */
export interface ApprovalChannel {
  /**
   * Files the request and waits for its decision. Resolves Expired when nobody decided in
   * time or the signal aborted (the client left); rejects when the request cannot be filed.
   */
  request(ask: ApprovalAsk, signal?: AbortSignal): Promise<ApprovalOutcome>;
}

/** The request could not be filed with the operator. */
export class ApprovalRequestError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ApprovalRequestError';
  }
}

interface ApprovalState {
  name: string;
  phase: 'Pending' | ApprovalOutcome['phase'];
  decidedBy?: string;
  comment?: string;
  expiresAt: string;
}

export interface OperatorApprovalChannelOptions {
  endpoint: OperatorEndpoint;
  logger: Logger;
  /** Seconds one long-poll asks the operator to hold (default 30). */
  waitSeconds?: number;
  /** Pause after a failed poll before the next (default 1 s). */
  retryMs?: number;
}

/**
 * Kubernetes mode's approvals: POST /v1/approvals files an AccessRequest through the
 * operator, then GET /v1/approvals/NAME long-polls until a person decides with kubectl or
 * the request expires. A poll that fails is retried until expiresAt; the gate never treats
 * a lost answer as approval.
 */
export class OperatorApprovalChannel implements ApprovalChannel {
  constructor(private readonly options: OperatorApprovalChannelOptions) {}

  async request(ask: ApprovalAsk, signal?: AbortSignal): Promise<ApprovalOutcome> {
    const { endpoint, logger } = this.options;
    const filed = await operatorRequest(endpoint, '/v1/approvals', {
      method: 'POST',
      body: ask,
      signal: AbortSignal.any([AbortSignal.timeout(15_000), ...(signal ? [signal] : [])]),
    }).catch((err: unknown) => {
      throw new ApprovalRequestError('the approval request could not be sent', { cause: err });
    });
    if (filed.status !== 201) {
      throw new ApprovalRequestError(
        `the operator refused the approval request (${filed.status}): ${answerMessage(filed.body)}`,
      );
    }
    const state = JSON.parse(filed.body) as ApprovalState;
    logger.info({ session: ask.session, request: state.name }, 'waiting for approval');
    return this.waitForDecision(state, ask.session, signal);
  }

  private async waitForDecision(
    first: ApprovalState,
    session: string,
    signal: AbortSignal | undefined,
  ): Promise<ApprovalOutcome> {
    const expiresAt = Date.parse(first.expiresAt);
    let state = first;
    while (state.phase === 'Pending') {
      const left = expiresAt - Date.now();
      if (left <= 0 || signal?.aborted) return outcome({ ...state, phase: 'Expired' });
      const waitSeconds = Math.max(
        1,
        Math.min(this.options.waitSeconds ?? 30, Math.ceil(left / 1_000)),
      );
      try {
        const answer = await operatorRequest(
          this.options.endpoint,
          `/v1/approvals/${encodeURIComponent(state.name)}`,
          {
            query: { wait: `${waitSeconds}s` },
            signal: AbortSignal.any([
              AbortSignal.timeout((waitSeconds + 15) * 1_000),
              ...(signal ? [signal] : []),
            ]),
          },
        );
        if (answer.status !== 200) {
          throw new ApprovalRequestError(
            `operator answered ${answer.status}: ${answerMessage(answer.body)}`,
          );
        }
        state = JSON.parse(answer.body) as ApprovalState;
      } catch (err) {
        if (signal?.aborted) continue;
        this.options.logger.warn(
          { session, request: state.name, err: err instanceof Error ? err.message : String(err) },
          'approval poll failed; retrying',
        );
        await sleep(this.options.retryMs ?? 1_000);
      }
    }
    // The session logs the decision with its rule (approval-holds.ts); this is the channel's.
    this.options.logger.debug(
      { session, request: state.name, phase: state.phase },
      'operator answered the approval request',
    );
    return outcome(state);
  }
}

function outcome(state: ApprovalState): ApprovalOutcome {
  return {
    request: state.name,
    phase: state.phase === 'Pending' ? 'Expired' : state.phase,
    ...(state.decidedBy === undefined ? {} : { decidedBy: state.decidedBy }),
    ...(state.comment === undefined ? {} : { comment: state.comment }),
  };
}
