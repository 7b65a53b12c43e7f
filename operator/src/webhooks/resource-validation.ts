import {
  accessPolicySchema,
  dataSourceSchema,
  type AccessPolicy,
  type DataSource,
} from '@portcullis/crds';
import { allow, refuse, type AdmissionRequest, type AdmissionVerdict } from './admission-review.js';
import type { CacheView } from './cache-view.js';
import { labelSelectorProblems } from './label-selector.js';
import { policiesOverlap } from './policy-overlap.js';

/** The schema's complaints as `path: message` lines. */
export function schemaProblems(error: {
  issues: { path: PropertyKey[]; message: string }[];
}): string {
  return error.issues
    .map(
      (issue) =>
        `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(object)'}: ${issue.message}`,
    )
    .join('; ');
}

function namespaceOf(request: AdmissionRequest, object: { metadata: { namespace?: string } }) {
  return request.namespace ?? object.metadata.namespace ?? '';
}

/**
 * /validate-accesspolicies: what the CRD schema cannot check. The selector is well formed,
 * the granted role is one the DataSource lets the minter grant, and no other policy could
 * apply to the same sessions.
 */
export function validateAccessPolicy(
  request: AdmissionRequest,
  cache: CacheView,
): AdmissionVerdict {
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allow();
  const parsed = accessPolicySchema.safeParse(request.object);
  if (!parsed.success) return refuse(`invalid AccessPolicy: ${schemaProblems(parsed.error)}`, 400);
  const policy: AccessPolicy = parsed.data;
  const namespace = namespaceOf(request, policy);

  const selector = labelSelectorProblems(policy.spec.workloadSelector);
  if (selector.length > 0) return refuse(`invalid workloadSelector: ${selector.join('; ')}`, 400);
  if (!cache.synced) {
    return refuse('the Portcullis operator has not loaded its cache yet; retry shortly', 503);
  }

  const warnings: string[] = [];
  const ds = cache.getDataSource(namespace, policy.spec.dataSourceRef.name);
  if (ds === undefined) {
    warnings.push(
      `DataSource ${policy.spec.dataSourceRef.name} does not exist yet; the policy stays ` +
        'not Ready until it does',
    );
  } else if (!ds.spec.minter.grantableRoles.includes(policy.spec.grant.role)) {
    return refuse(
      `grant.role ${policy.spec.grant.role} is not among the grantableRoles of DataSource ` +
        `${ds.metadata.name} (${ds.spec.minter.grantableRoles.join(', ')})`,
    );
  }

  // NOTE: two overlapping policies created at the same moment can both pass, since each is
  // checked against a cache without the other; the AccessPolicy controller reports the
  // overlap on their status, and the gate refuses sessions both would cover.
  for (const other of cache.listPolicies(namespace)) {
    if (other.metadata.name === policy.metadata.name) continue;
    const overlap = policiesOverlap(
      { ...policy, metadata: { ...policy.metadata, namespace } },
      other,
    );
    if (overlap !== undefined) {
      return refuse(`AccessPolicy ${policy.metadata.name} overlaps another: ${overlap}`);
    }
  }
  return allow(warnings);
}

/**
 * /validate-datasources: the schema, and that no policy in the namespace still grants a role
 * an update removes from grantableRoles.
 */
export function validateDataSource(request: AdmissionRequest, cache: CacheView): AdmissionVerdict {
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allow();
  const parsed = dataSourceSchema.safeParse(request.object);
  if (!parsed.success) return refuse(`invalid DataSource: ${schemaProblems(parsed.error)}`, 400);
  const ds: DataSource = parsed.data;
  const namespace = namespaceOf(request, ds);
  if (!cache.synced) {
    return refuse('the Portcullis operator has not loaded its cache yet; retry shortly', 503);
  }

  const granted = cache
    .listPolicies(namespace)
    .filter((p) => p.spec.dataSourceRef.name === ds.metadata.name)
    .find((p) => !ds.spec.minter.grantableRoles.includes(p.spec.grant.role));
  if (granted !== undefined) {
    return refuse(
      `AccessPolicy ${granted.metadata.name} grants role ${granted.spec.grant.role}, which ` +
        'grantableRoles no longer lists; change the policy first',
    );
  }
  return allow();
}
