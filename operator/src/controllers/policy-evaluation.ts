import type { AccessPolicy, DataSource } from '@portcullis/crds';
import { selectorMatches } from '../webhooks/label-selector.js';
import { findCondition, type ConditionUpdate } from '../kube/conditions.js';
import type { CachedPod } from '../kube/cache.js';
import { policiesOverlap } from '../webhooks/policy-overlap.js';

/** Reasons of an AccessPolicy's Ready condition. */
export const PolicyReason = {
  ready: 'Ready',
  dataSourceNotFound: 'DataSourceNotFound',
  dataSourceNotReady: 'DataSourceNotReady',
  roleNotGrantable: 'RoleNotGrantable',
  overlap: 'PolicyOverlap',
} as const;

/** What a policy's status should say. */
export interface PolicyEvaluation {
  ready: ConditionUpdate;
  selectedPods: number;
  /** The other policies that could apply to the same session, each with why. */
  overlaps: { other: string; why: string }[];
}

/** What the evaluation reads from the cache. */
export interface PolicySurroundings {
  dataSource: DataSource | undefined;
  /** The other policies of the namespace (the policy itself may be among them). */
  policies: readonly AccessPolicy[];
  /** The pods of the namespace. */
  pods: readonly CachedPod[];
}

function notReady(reason: string, message: string): ConditionUpdate {
  return { type: 'Ready', status: 'False', reason, message };
}

/**
 * The running or pending pods a policy's workloadSelector selects. Pods that have finished (a
 * completed Job's, say) no longer run a sidecar to apply it.
 */
export function countSelectedPods(policy: AccessPolicy, pods: readonly CachedPod[]): number {
  return pods.filter(
    (pod) =>
      pod.status?.phase !== 'Succeeded' &&
      pod.status?.phase !== 'Failed' &&
      selectorMatches(policy.spec.workloadSelector, pod.metadata?.labels),
  ).length;
}

/**
 * Decides a policy's Ready condition, in order: its DataSource exists and is Ready, the
 * granted role is one the DataSource lists as grantable, and no other policy could apply to
 * the same session. Also counts the running or pending pods its workloadSelector selects.
 */
export function evaluatePolicy(policy: AccessPolicy, around: PolicySurroundings): PolicyEvaluation {
  const selectedPods = countSelectedPods(policy, around.pods);
  // The same rule the validating webhook applies, so status and admission never disagree.
  const overlaps = around.policies
    .filter((other) => other.metadata.name !== policy.metadata.name)
    .flatMap((other) => {
      const why = policiesOverlap(policy, other);
      return why === undefined ? [] : [{ other: other.metadata.name, why }];
    })
    .sort((a, b) => a.other.localeCompare(b.other));
  const result = (ready: ConditionUpdate): PolicyEvaluation => ({ ready, selectedPods, overlaps });

  const dsName = policy.spec.dataSourceRef.name;
  const { dataSource } = around;
  if (dataSource === undefined) {
    return result(notReady(PolicyReason.dataSourceNotFound, `DataSource ${dsName} not found`));
  }
  const dsReady = findCondition(dataSource.status?.conditions, 'Ready');
  if (dsReady?.status !== 'True') {
    const why = dsReady === undefined ? 'not checked yet' : `${dsReady.reason}: ${dsReady.message}`;
    return result(
      notReady(PolicyReason.dataSourceNotReady, `DataSource ${dsName} is not Ready (${why})`),
    );
  }

  const role = policy.spec.grant.role;
  if (!dataSource.spec.minter.grantableRoles.includes(role)) {
    return result(
      notReady(
        PolicyReason.roleNotGrantable,
        `role ${role} is not among the grantableRoles of DataSource ${dsName} ` +
          `(${dataSource.spec.minter.grantableRoles.join(', ')})`,
      ),
    );
  }

  if (overlaps.length > 0) {
    const list = overlaps.map((o) => o.why).join('; ');
    return result(
      notReady(
        PolicyReason.overlap,
        `${list}; narrow the workloadSelector or the subjects of one of the policies`,
      ),
    );
  }

  return result({
    type: 'Ready',
    status: 'True',
    reason: PolicyReason.ready,
    message: `grants ${role} on DataSource ${dsName}`,
  });
}
