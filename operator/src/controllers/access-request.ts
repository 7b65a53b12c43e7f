import type { AccessRequest } from '@portcullis/crds';
import { approvalState } from '../approvals/approval-state.js';
import type { InformerEvent } from '../kube/informer.js';
import { Resources } from '../kube/resources.js';
import { patchStatus } from '../kube/status.js';
import { objectKey, splitKey } from '../kube/store.js';
import { WorkQueue } from '../kube/work-queue.js';
import type { ControllerContext } from './controller-context.js';
import { statusChanged } from './status-diff.js';

/**
 * Mirrors each AccessRequest's decision into status (phase and decidedAt), so kubectl shows
 * Pending, Approved, Denied or Expired, and marks a request nobody decided Expired when its
 * time runs out. The decision in spec stays the truth; the sidecar reads that. Leader only.
 */
export class AccessRequestController {
  private readonly ctx: ControllerContext;
  private readonly queue: WorkQueue;
  private readonly now: () => Date;
  private unsubscribe: (() => void) | undefined;

  constructor(ctx: ControllerContext, options: { now?: () => Date } = {}) {
    this.ctx = ctx;
    this.now = options.now ?? (() => new Date());
    this.queue = new WorkQueue({
      handler: (key) => this.reconcile(key),
      concurrency: 2,
      onError: (key, err, attempt) => {
        const { namespace, name } = splitKey(key);
        ctx.logger.error({ err, namespace, name, attempt }, 'AccessRequest reconcile failed');
        ctx.metrics.reconciles.inc({ kind: 'AccessRequest', result: 'error' });
      },
    });
  }

  start(): void {
    this.unsubscribe = this.ctx.cache.onChange((change) => {
      if (change.kind === 'AccessRequest') this.onRequest(change.event);
    });
  }

  /** Queues every request; called when this replica becomes the leader. */
  enqueueAll(): void {
    for (const request of this.ctx.cache.listAccessRequests()) this.queue.add(objectKey(request));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.queue.stop();
  }

  private onRequest(event: InformerEvent<AccessRequest>): void {
    if (event.type !== 'delete') this.queue.add(objectKey(event.object));
  }

  private async reconcile(key: string): Promise<void> {
    const { ctx } = this;
    if (!ctx.leadership.isLeader) return;
    const { namespace = 'default', name } = splitKey(key);
    const request = ctx.cache.getAccessRequest(namespace, name);
    if (request === undefined) return;

    const now = this.now();
    const state = approvalState(request, now);
    const status: Record<string, unknown> = { phase: state.phase };
    if (state.phase === 'Approved' || state.phase === 'Denied') {
      status.decidedAt = request.status?.decidedAt ?? now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    if (state.phase === 'Pending') {
      // Look again when it runs out, to mark it Expired on time.
      this.queue.addAfter(
        key,
        Math.max(0, Date.parse(request.spec.expiresAt) - now.getTime()) + 500,
      );
    }
    if (!statusChanged(request.status, status)) return;
    await patchStatus(ctx.client, Resources.accessRequests, request, status);
    ctx.metrics.reconciles.inc({ kind: 'AccessRequest', result: 'ok' });
    if (state.phase === 'Pending') return;

    const by = state.decidedBy === undefined ? '' : ` by ${state.decidedBy}`;
    const comment = state.comment === undefined ? '' : `: ${state.comment}`;
    await ctx.events.record(Resources.accessRequests, request, {
      type: state.phase === 'Approved' ? 'Normal' : 'Warning',
      reason: state.phase,
      note:
        state.phase === 'Expired'
          ? `nobody decided before ${request.spec.expiresAt}; the operation was refused`
          : `${state.phase.toLowerCase()}${by}${comment}`,
      action: 'Decide',
    });
  }
}
