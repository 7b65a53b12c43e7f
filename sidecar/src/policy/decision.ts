import type { AccessPolicy, DataSource } from '@portcullis/crds';
import { GateError, SqlState } from '../errors/gate-error.js';
import type { Identity } from '../identity/identity.js';
import { describeIdentity } from '../identity/identity.js';
import { subjectAdmits } from '../identity/subject-match.js';
import type { PolicySnapshot } from './policy-source.js';

/** The one policy that governs a session, and the data source it opens. */
export interface Decision {
  policy: AccessPolicy;
  dataSource: DataSource;
  /**
   * How many pods share the policy's rows-per-minute limit (PolicySnapshot.rowShares): this
   * gate enforces its part of it. 1 when the snapshot does not say.
   */
  rowShare: number;
}

// Objects without a namespace (standalone YAML) live in "default", as kubectl would put them.
const DEFAULT_NAMESPACE = 'default';

/** The namespace an object lives in, "default" when its manifest names none. */
export function namespaceOf(object: { metadata: { namespace?: string | undefined } }): string {
  return object.metadata.namespace ?? DEFAULT_NAMESPACE;
}

/** namespace/name, how policies are named in messages. */
export function qualifiedName(object: { metadata: { name: string; namespace?: string } }): string {
  return `${namespaceOf(object)}/${object.metadata.name}`;
}

/** The DataSource named so, or GateError 28000 when there is none or more than one. */
export function findDataSource(snapshot: PolicySnapshot, name: string): DataSource {
  const found = snapshot.dataSources.filter((ds) => ds.metadata.name === name);
  if (found.length === 1 && found[0] !== undefined) return found[0];

  const why = found.length === 0 ? 'no DataSource is named' : 'several DataSources are named';
  throw new GateError({
    sqlstate: SqlState.invalidAuthorizationSpecification,
    message: `${why} "${name}"`,
  });
}

/** Policies whose dataSourceRef points at this DataSource (a reference is namespace-local). */
export function policiesFor(snapshot: PolicySnapshot, dataSource: DataSource): AccessPolicy[] {
  const namespace = namespaceOf(dataSource);
  return snapshot.policies.filter(
    (p) => p.spec.dataSourceRef.name === dataSource.metadata.name && namespaceOf(p) === namespace,
  );
}

/**
 * Deny by default: exactly one AccessPolicy must cover the identity and the data source.
 * None is refused, and so are two or more: an overlap is a configuration error, not a choice
 * the gate makes. Both refusals are GateError 28000 saying why.
 */
export function decide(snapshot: PolicySnapshot, identity: Identity, dataSource: string): Decision {
  const source = findDataSource(snapshot, dataSource);
  const admitting = policiesFor(snapshot, source).filter((policy) =>
    policy.spec.subjects.some((s) => subjectAdmits(s, namespaceOf(policy), identity)),
  );

  const [policy, ...others] = admitting;
  if (policy === undefined) {
    throw new GateError({
      sqlstate: SqlState.invalidAuthorizationSpecification,
      message: `no AccessPolicy admits ${describeIdentity(identity)} to ${dataSource}`,
    });
  }
  if (others.length > 0) {
    const names = admitting.map(qualifiedName).join(', ');
    throw new GateError({
      sqlstate: SqlState.invalidAuthorizationSpecification,
      message: `AccessPolicies ${names} all admit ${describeIdentity(identity)} to ${dataSource}`,
      hint: 'Overlapping policies are refused; narrow their subjects so that one applies.',
    });
  }
  return {
    policy,
    dataSource: source,
    rowShare: snapshot.rowShares?.get(policy.metadata.name) ?? 1,
  };
}
