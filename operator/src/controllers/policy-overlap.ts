import type { AccessPolicy, Subject } from '@portcullis/crds';
import { selectorsIntersect } from '../kube/selector-intersection.js';

type OidcSubject = NonNullable<Subject['oidc']>;

/**
 * True when one caller could be admitted by both subjects. A service account is one exact
 * identity. An OIDC subject admits tokens from one issuer for one audience; two of them can
 * admit the same token unless they require different values of the same claim (a token may
 * carry several groups, so group lists never keep two subjects apart). A service account
 * and an OIDC subject never meet: the pod identity applies only when no token is presented.
 */
export function subjectsIntersect(
  a: Subject,
  aNamespace: string,
  b: Subject,
  bNamespace: string,
): boolean {
  if (a.serviceAccount !== undefined && b.serviceAccount !== undefined) {
    return (
      a.serviceAccount.name === b.serviceAccount.name &&
      (a.serviceAccount.namespace ?? aNamespace) === (b.serviceAccount.namespace ?? bNamespace)
    );
  }
  if (a.oidc !== undefined && b.oidc !== undefined) return oidcIntersect(a.oidc, b.oidc);
  return false;
}

function oidcIntersect(a: OidcSubject, b: OidcSubject): boolean {
  if (normalIssuer(a.issuer) !== normalIssuer(b.issuer) || a.audience !== b.audience) {
    return false;
  }
  const bClaims = b.claims ?? {};
  return Object.entries(a.claims ?? {}).every(
    ([claim, value]) => !Object.hasOwn(bClaims, claim) || bClaims[claim] === value,
  );
}

// A trailing slash does not make a different issuer to a person, so it does not here either.
function normalIssuer(issuer: string): string {
  return issuer.replace(/\/+$/, '');
}

/** Why two policies overlap, for a status message; undefined when they do not. */
export interface Overlap {
  other: string;
  subject: string;
}

/**
 * Whether two policies could both apply to one session: same namespace and DataSource,
 * workload selectors that some pod could satisfy together (whether or not such a pod exists
 * now, so adding a label later cannot create an ambiguity), and a caller both admit.
 */
export function findOverlap(policy: AccessPolicy, other: AccessPolicy): Overlap | undefined {
  const namespace = policy.metadata.namespace ?? 'default';
  const otherNamespace = other.metadata.namespace ?? 'default';
  if (namespace !== otherNamespace || policy.metadata.name === other.metadata.name) {
    return undefined;
  }
  if (policy.spec.dataSourceRef.name !== other.spec.dataSourceRef.name) return undefined;
  if (!selectorsIntersect(policy.spec.workloadSelector, other.spec.workloadSelector)) {
    return undefined;
  }

  for (const subject of policy.spec.subjects) {
    for (const otherSubject of other.spec.subjects) {
      if (subjectsIntersect(subject, namespace, otherSubject, otherNamespace)) {
        return { other: other.metadata.name, subject: describeSubject(subject, namespace) };
      }
    }
  }
  return undefined;
}

/** A subject in a few words, for messages. */
export function describeSubject(subject: Subject, namespace: string): string {
  if (subject.serviceAccount !== undefined) {
    return `service account ${subject.serviceAccount.namespace ?? namespace}/${subject.serviceAccount.name}`;
  }
  return `OIDC ${subject.oidc?.issuer ?? '?'} (audience ${subject.oidc?.audience ?? '?'})`;
}
