import type { Condition } from '@portcullis/crds';
import type { CacheKind } from '../kube/cache.js';
import { findCondition, setCondition, type ConditionUpdate } from '../kube/conditions.js';
import type { InvalidObject } from '../kube/informer.js';
import { isNotFound } from '../kube/rest-client.js';
import { Resources, type Resource } from '../kube/resources.js';
import { patchStatus } from '../kube/status.js';
import { objectKey, type KubeObject } from '../kube/store.js';
import type { ControllerContext } from './controller-context.js';
import { statusChanged } from './status-diff.js';

const REPORTED: Partial<Record<CacheKind, Resource>> = {
  DataSource: Resources.dataSources,
  AccessPolicy: Resources.accessPolicies,
};

type RawWithStatus = KubeObject & { status?: { conditions?: Condition[] } };

interface SchemaIssue {
  path: PropertyKey[];
  message: string;
}

// A ZodError, recognised by shape: the crds package owns zod, the operator does not import it.
function isSchemaError(error: unknown): error is { issues: SchemaIssue[] } {
  return (
    typeof error === 'object' &&
    error !== null &&
    Array.isArray((error as { issues?: unknown }).issues)
  );
}

/** The first few schema problems, as `path: message`. */
export function describeSchemaError(error: unknown): string {
  if (!isSchemaError(error)) return error instanceof Error ? error.message : String(error);
  const issues = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : '';
  return issues.join('; ') + more;
}

/**
 * Reports DataSources and AccessPolicies that the API server stored but the crds schema
 * refuses (an older CRD, or a rule the CRD cannot express) as Ready False, reason
 * InvalidSpec. The cache leaves such objects out, so nothing else acts on them: a policy
 * nobody can read grants nothing.
 */
export class InvalidObjectReporter {
  private readonly ctx: ControllerContext;
  private readonly invalid = new Map<string, { resource: Resource; invalid: InvalidObject }>();

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  start(): void {
    this.ctx.cache.onInvalid((kind, invalid) => {
      const resource = REPORTED[kind];
      if (resource === undefined) return;
      const key = `${kind}:${objectKey(invalid.raw)}`;
      this.invalid.set(key, { resource, invalid });
      void this.report(resource, invalid);
    });
    // Once an object parses again it is no longer ours to report.
    this.ctx.cache.onChange((change) => {
      if (change.event.type === 'delete' || change.event.type === 'add') {
        this.invalid.delete(`${change.kind}:${objectKey(change.event.object)}`);
      }
    });
  }

  /** Reports every known invalid object again; called when this replica becomes the leader. */
  reportAll(): void {
    for (const { resource, invalid } of this.invalid.values()) void this.report(resource, invalid);
  }

  private async report(resource: Resource, { raw, error }: InvalidObject): Promise<void> {
    const { ctx } = this;
    const object = raw as RawWithStatus;
    const { namespace, name, generation } = object.metadata ?? {};
    const update: ConditionUpdate = {
      type: 'Ready',
      status: 'False',
      reason: 'InvalidSpec',
      message: describeSchemaError(error),
    };
    ctx.logger.warn({ namespace, name, kind: resource.kind }, `invalid: ${update.message}`);
    if (!ctx.leadership.isLeader) return;

    const conditions = Array.isArray(object.status?.conditions) ? object.status.conditions : [];
    const status = {
      observedGeneration: generation,
      conditions: setCondition(conditions, update, generation, new Date()),
    };
    if (!statusChanged(object.status, status)) return;
    try {
      await patchStatus(ctx.client, resource, object, status);
    } catch (err) {
      if (isNotFound(err)) return;
      ctx.logger.error({ err, namespace, name }, 'could not report an invalid object');
      return;
    }
    const previous = findCondition(conditions, 'Ready');
    if (previous?.reason !== update.reason) {
      await ctx.events.record(resource, object, {
        type: 'Warning',
        reason: update.reason,
        note: update.message,
        action: 'Validate',
      });
    }
  }
}
