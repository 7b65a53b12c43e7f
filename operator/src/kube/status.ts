import type { Logger } from 'pino';
import { PatchType, type KubeClient } from './rest-client.js';
import { apiVersionOf, resourcePath, Resources, type Resource } from './resources.js';
import type { KubeObject } from './store.js';

/**
 * Writes the status subresource of an object with a JSON merge patch. A merge patch replaces
 * arrays whole, so the caller sends the complete conditions list; a field set to null is
 * removed. Only the status subresource is written, so spec changes are never overwritten.
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#status-subresource
 */
export async function patchStatus(
  client: KubeClient,
  resource: Resource,
  object: KubeObject,
  status: Record<string, unknown>,
): Promise<void> {
  const { namespace, name } = object.metadata ?? {};
  if (name === undefined) throw new TypeError('object has no name');
  await client.request(resourcePath(resource, namespace, name, 'status'), {
    method: 'PATCH',
    contentType: PatchType.merge,
    body: { status },
  });
}

export type EventType = 'Normal' | 'Warning';

/** What a person should see on an object: a CamelCase reason and a sentence. */
export interface EventNote {
  type: EventType;
  reason: string;
  note: string;
  /** What the operator did or tried (events.k8s.io action), e.g. Reconcile, Reap, Rollout. */
  action: string;
}

export interface EventRecorderOptions {
  client: KubeClient;
  logger: Logger;
  /** The replica's identity (events.k8s.io reportingInstance). */
  instance: string;
}

const REPORTING_CONTROLLER = 'portcullis.dev/operator';

/**
 * Records events.k8s.io/v1 Events on objects. A failure to record is logged, never thrown:
 * an Event is for people and must not fail a reconcile.
 * https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/
 */
export class EventRecorder {
  private readonly options: EventRecorderOptions;

  constructor(options: EventRecorderOptions) {
    this.options = options;
  }

  /** Records one Event regarding the object. */
  async record(resource: Resource, object: KubeObject, event: EventNote): Promise<void> {
    const { namespace, name, uid, resourceVersion } = object.metadata ?? {};
    if (namespace === undefined || name === undefined) return;

    const body = {
      apiVersion: apiVersionOf(Resources.events),
      kind: 'Event',
      // generateName must itself pass name validation, so it may not end in a dot.
      metadata: { generateName: `${name}-`, namespace },
      eventTime: microTime(new Date()),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.options.instance,
      action: event.action,
      reason: event.reason,
      note: event.note.slice(0, 1024),
      type: event.type,
      regarding: {
        apiVersion: apiVersionOf(resource),
        kind: resource.kind,
        namespace,
        name,
        uid,
        resourceVersion,
      },
    };
    try {
      await this.options.client.request(resourcePath(Resources.events, namespace), {
        method: 'POST',
        body,
      });
    } catch (err) {
      this.options.logger.warn(
        { err, namespace, name, reason: event.reason },
        'could not record an Event',
      );
    }
  }
}

// metav1.MicroTime is RFC 3339 with exactly six fractional digits.
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
