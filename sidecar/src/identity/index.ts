export type { AuthenticationInput, Authenticator, Identity } from './identity.js';
export { describeIdentity } from './identity.js';
export type { IssuerKeysOptions } from './issuer-keys.js';
export { OidcDiscoveryError } from './oidc-discovery.js';
export type { OidcSubject, OidcVerifierOptions } from './oidc-verifier.js';
export { ACCEPTED_ALGORITHMS, OidcVerifier } from './oidc-verifier.js';
export type { PolicyAuthenticatorOptions } from './policy-authenticator.js';
export { PolicyAuthenticator } from './policy-authenticator.js';
export { subjectAdmits } from './subject-match.js';
export type { ServiceAccountName } from './workload-identity.js';
export {
  parseWorkloadIdentity,
  serviceAccountUsername,
  WorkloadIdentityFormatError,
} from './workload-identity.js';
