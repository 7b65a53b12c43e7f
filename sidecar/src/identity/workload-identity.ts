import type { Identity } from './identity.js';

/** A Kubernetes ServiceAccount as the API server names it in tokens and RBAC. */
export interface ServiceAccountName {
  namespace: string;
  name: string;
}

// DNS-1123 labels for the namespace, subdomains for the account name (Kubernetes object rules).
const SERVICE_ACCOUNT_USERNAME =
  /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

/** Thrown when --identity is not of the form system:serviceaccount:NS:NAME. */
export class WorkloadIdentityFormatError extends Error {
  constructor(value: string) {
    super(`workload identity "${value}" is not of the form system:serviceaccount:NAMESPACE:NAME`);
    this.name = 'WorkloadIdentityFormatError';
  }
}

/** The username Kubernetes gives a service account: system:serviceaccount:NS:NAME. */
export function serviceAccountUsername(account: ServiceAccountName): string {
  return `system:serviceaccount:${account.namespace}:${account.name}`;
}

/** Parses the --identity flag into the Identity the pod's callers get when they bring no token. */
export function parseWorkloadIdentity(value: string): Identity {
  const match = SERVICE_ACCOUNT_USERNAME.exec(value);
  if (match?.[1] === undefined || match[3] === undefined) {
    throw new WorkloadIdentityFormatError(value);
  }
  return {
    kind: 'serviceAccount',
    name: serviceAccountUsername({ namespace: match[1], name: match[3] }),
    groups: ['system:serviceaccounts', `system:serviceaccounts:${match[1]}`],
    claims: {},
  };
}
