import type { Condition } from '@portcullis/crds';

/** What a controller decides about one condition; the bookkeeping fields are filled in. */
export interface ConditionUpdate {
  type: string;
  status: Condition['status'];
  reason: string;
  message: string;
}

/**
 * Returns the conditions with one set, following the API conventions: lastTransitionTime
 * moves only when the status changes; reason, message and observedGeneration always follow
 * the latest decision. Other conditions are kept as they are.
 * https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#typical-status-properties
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  observedGeneration: number | undefined,
  now: Date,
): Condition[] {
  const existing = conditions?.find((c) => c.type === update.type);
  const transitioned = existing === undefined || existing.status !== update.status;
  const next: Condition = {
    ...update,
    observedGeneration,
    lastTransitionTime: transitioned ? rfc3339(now) : existing.lastTransitionTime,
  };
  if (next.observedGeneration === undefined) delete next.observedGeneration;

  const others = (conditions ?? []).filter((c) => c.type !== update.type);
  return [...others, next].sort((a, b) => a.type.localeCompare(b.type));
}

/** The condition of a type, if set. */
export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when the condition of this type is set and True. */
export function isConditionTrue(
  conditions: readonly Condition[] | undefined,
  type: string,
): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

// metav1.Time serialises to whole seconds.
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
