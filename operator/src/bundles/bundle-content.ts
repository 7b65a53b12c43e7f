import { createHash } from 'node:crypto';
import type { AccessPolicy, DataSource } from '@portcullis/crds';
import type { CachedPod } from '../kube/cache.js';
import type { CacheView } from '../webhooks/cache-view.js';
import { countSelectedPods } from '../controllers/policy-evaluation.js';
import { selectorMatches } from '../webhooks/label-selector.js';

/**
 * What one sidecar may know: the policies selecting its pod, their DataSources, and the
 * keys of the Secrets those name. `version` is the ETag, a hash of everything else.
 */
export interface PolicyBundle {
  version: string;
  dataSources: DataSource[];
  policies: AccessPolicy[];
  /** Secret data by Secret name (the pod's namespace), only the keys referenced. */
  secrets: Record<string, Record<string, string>>;
  /**
   * For each policy with a rows-per-minute limit, the number of pods its workloadSelector
   * selects: each pod's gate enforces its share of the limit, so that an identity's sessions
   * on all those pods together stay within it.
   */
  rowShares: Record<string, number>;
}

// Status and bookkeeping metadata change without changing what the gate enforces; leaving
// them out keeps the ETag still when only a condition moved.
function trimmed<T extends DataSource | AccessPolicy>(object: T): T {
  const { name, namespace, uid, generation, labels } = object.metadata;
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: { name, namespace, uid, generation, labels },
    spec: object.spec,
  } as T;
}

/** Does this policy limit rows per minute (and so share the limit between its pods)? */
export function limitsRows(policy: AccessPolicy): boolean {
  return policy.spec.limits.rowsPerMinute !== undefined;
}

/** The bundle for one pod, from the cache as it is now. */
export function buildBundle(cache: CacheView, pod: CachedPod): PolicyBundle {
  const namespace = pod.metadata?.namespace ?? '';
  const byName = <T extends { metadata: { name: string } }>(a: T, b: T) =>
    a.metadata.name.localeCompare(b.metadata.name);

  const policies = cache
    .listPolicies(namespace)
    .filter((p) => selectorMatches(p.spec.workloadSelector, pod.metadata?.labels))
    .sort(byName);
  const names = new Set(policies.map((p) => p.spec.dataSourceRef.name));
  const dataSources = cache
    .listDataSources(namespace)
    .filter((ds) => names.has(ds.metadata.name))
    .sort(byName);

  // Only the keys the gate reads: the minter login, the upstream CA, the masking hash key.
  const wanted = new Map<string, Set<string>>();
  const want = (secret: string, key: string) =>
    wanted.set(secret, (wanted.get(secret) ?? new Set()).add(key));
  for (const ds of dataSources) {
    const ref = ds.spec.minter.secretRef;
    want(ref.name, ref.usernameKey);
    want(ref.name, ref.passwordKey);
    if (ds.spec.tls.caSecretRef !== undefined) {
      want(ds.spec.tls.caSecretRef.name, ds.spec.tls.caSecretRef.key);
    }
  }
  for (const p of policies) {
    const ref = p.spec.masking.hashKeySecretRef;
    if (ref !== undefined) want(ref.name, ref.key);
  }

  const secrets: Record<string, Record<string, string>> = {};
  for (const [name, keys] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) {
    const data = cache.getSecretData(namespace, name);
    if (data === undefined) continue;
    const picked: Record<string, string> = {};
    for (const key of [...keys].sort()) {
      const value = data[key];
      if (value !== undefined) picked[key] = value.toString('utf8');
    }
    secrets[name] = picked;
  }

  const rowShares: Record<string, number> = {};
  const pods = policies.some(limitsRows) ? cache.listPods(namespace) : [];
  for (const p of policies.filter(limitsRows)) {
    // The asking pod runs a gate whatever its phase says: it counts at least itself.
    rowShares[p.metadata.name] = Math.max(1, countSelectedPods(p, pods));
  }

  const content = {
    dataSources: dataSources.map(trimmed),
    policies: policies.map(trimmed),
    secrets,
    rowShares,
  };
  const hash = createHash('sha256').update(JSON.stringify(content)).digest('base64url');
  return { version: `"${hash.slice(0, 27)}"`, ...content };
}
