import { Resources, resourcePath, type Resource } from '../kube/resources.js';
import { PatchType } from '../kube/rest-client.js';
import { WorkQueue } from '../kube/work-queue.js';
import type { ControllerContext } from './controller-context.js';
import { planRollout, POLICY_HASH_ANNOTATION, type Workload } from './rollout-plan.js';

const WORKLOAD_RESOURCES: { resource: Resource; kind: Workload['kind'] }[] = [
  { resource: Resources.deployments, kind: 'Deployment' },
  { resource: Resources.statefulSets, kind: 'StatefulSet' },
  { resource: Resources.daemonSets, kind: 'DaemonSet' },
];

export interface RolloutControllerOptions {
  /** The sidecar image new pods get; a pod running another one is rolled. */
  sidecarImage: string;
}

/**
 * Rolls Deployments, StatefulSets and DaemonSets whose pods lack what the policies selecting
 * them now need (see planRollout), by setting the pod-template annotation
 * portcullis.dev/policy-hash. Works per namespace: any policy change there queues one look
 * at every workload of the namespace. Leader only.
 */
export class RolloutController {
  private readonly ctx: ControllerContext;
  private readonly options: RolloutControllerOptions;
  private readonly queue: WorkQueue;
  private unsubscribe: (() => void) | undefined;

  constructor(ctx: ControllerContext, options: RolloutControllerOptions) {
    this.ctx = ctx;
    this.options = options;
    this.queue = new WorkQueue({
      handler: (namespace) => this.reconcile(namespace),
      concurrency: 2,
      onError: (namespace, err, attempt) => {
        ctx.logger.error({ err, namespace, attempt }, 'rollout check failed');
        ctx.metrics.reconciles.inc({ kind: 'Rollout', result: 'error' });
      },
    });
  }

  /** Starts reacting to policy changes (status changes included: readiness gates rollouts). */
  start(): void {
    this.unsubscribe = this.ctx.cache.onChange((change) => {
      if (change.kind !== 'AccessPolicy') return;
      const namespace = change.event.object.metadata.namespace;
      if (namespace !== undefined) this.queue.add(namespace);
    });
  }

  /** Queues every namespace that has policies; called when this replica becomes the leader. */
  enqueueAll(): void {
    const namespaces = new Set(this.ctx.cache.listPolicies().map((p) => p.metadata.namespace));
    for (const namespace of namespaces) if (namespace !== undefined) this.queue.add(namespace);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.queue.stop();
  }

  private async reconcile(namespace: string): Promise<void> {
    const { ctx } = this;
    if (!ctx.leadership.isLeader) return;
    const policies = ctx.cache.listPolicies(namespace);
    const pods = ctx.cache.listPods(namespace);

    for (const { resource, kind } of WORKLOAD_RESOURCES) {
      const list = await ctx.client.request<{ items?: Omit<Workload, 'kind'>[] }>(
        resourcePath(resource, namespace),
      );
      for (const item of list.items ?? []) {
        const workload: Workload = { ...item, kind };
        const decision = planRollout(workload, policies, pods, this.options.sidecarImage);
        if (!decision.roll) continue;
        if (!ctx.leadership.isLeader) return;
        await this.roll(resource, workload, decision.hash, decision.reason);
      }
    }
    ctx.metrics.reconciles.inc({ kind: 'Rollout', result: 'ok' });
  }

  private async roll(
    resource: Resource,
    workload: Workload,
    hash: string,
    reason: string,
  ): Promise<void> {
    const { ctx } = this;
    const { namespace, name } = workload.metadata;
    // A changed pod-template annotation is what makes the workload controller replace pods.
    await ctx.client.request(resourcePath(resource, namespace, name), {
      method: 'PATCH',
      contentType: PatchType.merge,
      body: {
        spec: { template: { metadata: { annotations: { [POLICY_HASH_ANNOTATION]: hash } } } },
      },
    });
    ctx.metrics.rollouts.inc({ namespace, kind: workload.kind });
    ctx.logger.info({ namespace, name, kind: workload.kind, hash }, `rolling: ${reason}`);
    await ctx.events.record(resource, workload, {
      type: 'Normal',
      reason: 'PortcullisRollout',
      note: `rolled so new pods get the gate their policies need: ${reason}`,
      action: 'Rollout',
    });
  }
}
