import type { AccessPolicy, Subject } from '@portcullis/crds';
import { selectorsIntersect } from '../kube/selector-intersection.js';

/** One caller identity a subject names, as a comparable key. */
function subjectKey(subject: Subject, policyNamespace: string): string {
  if (subject.serviceAccount !== undefined) {
    const ns = subject.serviceAccount.namespace ?? policyNamespace;
    return `system:serviceaccount:${ns}:${subject.serviceAccount.name}`;
  }
  // Two OIDC subjects of one issuer and audience may admit the same token whatever their
  // claim filters say, since one token can carry every group both ask for.
  return `oidc:${subject.oidc!.issuer} aud=${subject.oidc!.audience}`;
}

/**
 * Why two policies could both apply to one session (same DataSource, a pod both select, a
 * caller both admit), or undefined when they cannot. The gate refuses to guess between two
 * policies, so such a pair is refused at admission and reported on status.
 */
export function policiesOverlap(a: AccessPolicy, b: AccessPolicy): string | undefined {
  const namespace = a.metadata.namespace ?? '';
  if ((b.metadata.namespace ?? '') !== namespace) return undefined;
  if (a.spec.dataSourceRef.name !== b.spec.dataSourceRef.name) return undefined;
  if (!selectorsIntersect(a.spec.workloadSelector, b.spec.workloadSelector)) return undefined;

  const theirs = new Set(b.spec.subjects.map((s) => subjectKey(s, namespace)));
  const shared = a.spec.subjects.map((s) => subjectKey(s, namespace)).find((k) => theirs.has(k));
  if (shared === undefined) return undefined;
  return (
    `AccessPolicy ${b.metadata.name} also admits ${shared} on DataSource ` +
    `${a.spec.dataSourceRef.name} for pods both workloadSelectors can select`
  );
}
