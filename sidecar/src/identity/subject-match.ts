import type { Subject } from '@portcullis/crds';
import type { Identity } from './identity.js';
import { serviceAccountUsername } from './workload-identity.js';

type OidcSubject = NonNullable<Subject['oidc']>;

/**
 * Does this policy subject admit the identity? A service account subject names the account
 * (its namespace defaults to the policy's); an OIDC subject needs the same issuer, the audience
 * among the token's, at least one of its groups (when it lists any) and every listed claim.
 */
export function subjectAdmits(subject: Subject, policyNamespace: string, identity: Identity) {
  if (subject.serviceAccount !== undefined) {
    if (identity.kind !== 'serviceAccount') return false;
    const { name, namespace = policyNamespace } = subject.serviceAccount;
    return identity.name === serviceAccountUsername({ namespace, name });
  }
  if (subject.oidc !== undefined) {
    return identity.kind === 'oidc' && oidcSubjectAdmits(subject.oidc, identity);
  }
  return false;
}

function oidcSubjectAdmits(subject: OidcSubject, identity: Identity): boolean {
  if (identity.issuer !== subject.issuer) return false;
  if (!audiences(identity.claims).includes(subject.audience)) return false;

  // An empty groups list is no requirement, as an empty list is in Kubernetes selectors.
  const groups = subject.groups ?? [];
  if (groups.length > 0 && !groups.some((g) => identity.groups.includes(g))) return false;

  return Object.entries(subject.claims ?? {}).every(([claim, expected]) =>
    claimEquals(identity.claims[claim], expected),
  );
}

/** The aud claim is a string or an array of strings (RFC 7519 §4.1.3). */
export function audiences(claims: Record<string, unknown>): string[] {
  const aud = claims['aud'];
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}

// Policies write claim values as strings; tokens carry booleans (email_verified) and numbers too.
function claimEquals(actual: unknown, expected: string): boolean {
  if (typeof actual === 'string') return actual === expected;
  if (typeof actual === 'boolean' || typeof actual === 'number') return String(actual) === expected;
  return false;
}
