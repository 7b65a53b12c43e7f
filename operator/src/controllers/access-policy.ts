import type { AccessPolicy, DataSource } from '@portcullis/crds';
import { findCondition, setCondition } from '../kube/conditions.js';
import type { CachedPod } from '../kube/cache.js';
import type { InformerEvent } from '../kube/informer.js';
import { Resources } from '../kube/resources.js';
import { patchStatus } from '../kube/status.js';
import { objectKey, splitKey } from '../kube/store.js';
import { WorkQueue } from '../kube/work-queue.js';
import { selectorMatches } from '../webhooks/label-selector.js';
import type { ControllerContext } from './controller-context.js';
import { evaluatePolicy } from './policy-evaluation.js';
import { statusChanged } from './status-diff.js';

/**
 * Keeps each AccessPolicy's status true: Ready with a reason (DataSource found and Ready,
 * role grantable, no overlapping policy) and the number of pods it selects. Reacts to the
 * policy, to other policies of its namespace (overlap goes both ways), to its DataSource and
 * to pods whose labels it selects. Leader only.
 */
export class AccessPolicyController {
  private readonly ctx: ControllerContext;
  private readonly queue: WorkQueue;
  private unsubscribe: (() => void) | undefined;

  constructor(ctx: ControllerContext, options: { concurrency?: number } = {}) {
    this.ctx = ctx;
    this.queue = new WorkQueue({
      handler: (key) => this.reconcile(key),
      concurrency: options.concurrency ?? 4,
      onError: (key, err, attempt) => {
        const { namespace, name } = splitKey(key);
        ctx.logger.error({ err, namespace, name, attempt }, 'AccessPolicy reconcile failed');
        ctx.metrics.reconciles.inc({ kind: 'AccessPolicy', result: 'error' });
      },
    });
  }

  /** Starts reacting to cache changes. */
  start(): void {
    this.unsubscribe = this.ctx.cache.onChange((change) => {
      if (change.kind === 'AccessPolicy') this.onPolicy(change.event);
      if (change.kind === 'DataSource') this.onDataSource(change.event.object);
      if (change.kind === 'Pod') this.onPod(change.event);
    });
  }

  /** Queues every policy; called when this replica becomes the leader. */
  enqueueAll(): void {
    for (const policy of this.ctx.cache.listPolicies()) this.queue.add(objectKey(policy));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.queue.stop();
  }

  private onPolicy(event: InformerEvent<AccessPolicy>): void {
    // Our own status writes come back as updates of the same generation.
    if (
      event.type === 'update' &&
      event.old.metadata.generation === event.object.metadata.generation
    ) {
      return;
    }
    // Whether the others overlap this one may have changed too.
    for (const policy of this.ctx.cache.listPolicies(event.object.metadata.namespace)) {
      this.queue.add(objectKey(policy));
    }
  }

  private onDataSource(dataSource: DataSource): void {
    for (const policy of this.ctx.cache.listPolicies(dataSource.metadata.namespace)) {
      if (policy.spec.dataSourceRef.name === dataSource.metadata.name) {
        this.queue.add(objectKey(policy));
      }
    }
  }

  private onPod(event: InformerEvent<CachedPod>): void {
    const labels = event.object.metadata?.labels;
    const oldLabels = event.type === 'update' ? event.old.metadata?.labels : undefined;
    // Status updates of running pods are frequent and change no count, unless a pod finished.
    if (
      event.type === 'update' &&
      JSON.stringify(labels) === JSON.stringify(oldLabels) &&
      finished(event.object) === finished(event.old)
    ) {
      return;
    }
    for (const policy of this.ctx.cache.listPolicies(event.object.metadata?.namespace)) {
      const selector = policy.spec.workloadSelector;
      if (selectorMatches(selector, labels) || selectorMatches(selector, oldLabels)) {
        this.queue.add(objectKey(policy));
      }
    }
  }

  private async reconcile(key: string): Promise<void> {
    const { ctx } = this;
    if (!ctx.leadership.isLeader) {
      ctx.metrics.reconciles.inc({ kind: 'AccessPolicy', result: 'skipped' });
      return;
    }
    const { namespace = 'default', name } = splitKey(key);
    const policy = ctx.cache.getPolicy(namespace, name);
    if (policy === undefined) return;

    const evaluation = evaluatePolicy(policy, {
      dataSource: ctx.cache.getDataSource(namespace, policy.spec.dataSourceRef.name),
      policies: ctx.cache.listPolicies(namespace),
      pods: ctx.cache.listPods(namespace),
    });
    const { generation } = policy.metadata;
    const status: Record<string, unknown> = {
      observedGeneration: generation,
      conditions: setCondition(policy.status?.conditions, evaluation.ready, generation, new Date()),
      selectedPods: evaluation.selectedPods,
    };
    if (statusChanged(policy.status, status)) {
      if (!ctx.leadership.isLeader) return;
      await patchStatus(ctx.client, Resources.accessPolicies, policy, status);
    }

    const previous = findCondition(policy.status?.conditions, 'Ready');
    const { ready } = evaluation;
    if (previous?.status !== ready.status || previous.reason !== ready.reason) {
      const isReady = ready.status === 'True';
      ctx.logger[isReady ? 'info' : 'warn'](
        { namespace, name, kind: 'AccessPolicy', reason: ready.reason },
        ready.message,
      );
      await ctx.events.record(Resources.accessPolicies, policy, {
        type: isReady ? 'Normal' : 'Warning',
        reason: ready.reason,
        note: ready.message,
        action: 'Validate',
      });
    }
    ctx.metrics.reconciles.inc({ kind: 'AccessPolicy', result: 'ok' });
  }
}

function finished(pod: CachedPod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}
