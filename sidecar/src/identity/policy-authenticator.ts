import type { AccessPolicy } from '@portcullis/crds';
import { GateError, SqlState } from '../errors/gate-error.js';
import { findDataSource, namespaceOf, policiesFor } from '../policy/decision.js';
import type { PolicySnapshot } from '../policy/policy-source.js';
import type { AuthenticationInput, Authenticator, Identity } from './identity.js';
import { describeIdentity } from './identity.js';
import type { OidcSubject, OidcVerifierOptions } from './oidc-verifier.js';
import { OidcVerifier } from './oidc-verifier.js';
import { subjectAdmits } from './subject-match.js';
import { tokenRefused } from './token-errors.js';
import { tokenShape } from './token-shape.js';

/** What the authenticator reads policies from and who the pod itself is. */
export interface PolicyAuthenticatorOptions extends OidcVerifierOptions {
  /** The latest policies; read on every call so that changes apply to the next session. */
  snapshot: () => PolicySnapshot;
  /** The pod's service account (--identity), for callers who present no token. */
  workloadIdentity?: Identity;
}

/**
 * Authenticates callers against the policies of the data source they connect to: a JWT
 * password is verified as an OIDC token; no token means the workload identity. Either way the
 * identity must be one that some policy of that data source admits.
 */
export class PolicyAuthenticator implements Authenticator {
  readonly #snapshot: () => PolicySnapshot;
  readonly #workload: Identity | undefined;
  readonly #verifier: OidcVerifier;

  constructor(options: PolicyAuthenticatorOptions) {
    this.#snapshot = options.snapshot;
    this.#workload = options.workloadIdentity;
    this.#verifier = new OidcVerifier(options);
  }

  needsPassword(dataSource: string): boolean {
    const snapshot = this.#snapshot();
    return snapshot.dataSources
      .filter((ds) => ds.metadata.name === dataSource)
      .some((ds) => oidcSubjects(policiesFor(snapshot, ds)).length > 0);
  }

  async authenticate(input: AuthenticationInput): Promise<Identity> {
    const snapshot = this.#snapshot();
    const policies = policiesFor(snapshot, findDataSource(snapshot, input.dataSource));

    const shape = tokenShape(input.password);
    if (shape === 'jwe') throw tokenRefused('encrypted tokens (JWE) are not accepted');
    const identity =
      shape === 'jws'
        ? await this.#verifier.verify(
            input.password ?? '',
            oidcSubjects(policies),
            input.dataSource,
          )
        : this.#workloadIdentity(policies, input.dataSource);

    const admitted = policies.some((p) =>
      p.spec.subjects.some((s) => subjectAdmits(s, namespaceOf(p), identity)),
    );
    if (!admitted) throw notAdmitted(identity, input.dataSource, shape === 'none', policies);
    return identity;
  }

  #workloadIdentity(policies: AccessPolicy[], dataSource: string): Identity {
    if (this.#workload !== undefined) return this.#workload;
    throw new GateError({
      sqlstate: SqlState.invalidAuthorizationSpecification,
      message: `no token was presented and this sidecar has no workload identity for ${dataSource}`,
      hint: hintFor(policies),
    });
  }
}

function notAdmitted(
  identity: Identity,
  dataSource: string,
  noToken: boolean,
  policies: AccessPolicy[],
): GateError {
  return new GateError({
    sqlstate: SqlState.invalidAuthorizationSpecification,
    message: `no AccessPolicy admits ${describeIdentity(identity)} to ${dataSource}`,
    hint: noToken ? hintFor(policies) : undefined,
  });
}

function hintFor(policies: AccessPolicy[]): string | undefined {
  if (oidcSubjects(policies).length === 0) return undefined;
  return 'Present an OIDC token (JWT) as the password.';
}

function oidcSubjects(policies: AccessPolicy[]): OidcSubject[] {
  return policies.flatMap((p) => p.spec.subjects.flatMap((s) => (s.oidc ? [s.oidc] : [])));
}
