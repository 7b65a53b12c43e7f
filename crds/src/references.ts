import type { AccessPolicy } from './access-policy.js';
import type { DataSource } from './data-source.js';
import type { ManifestProblem, LocatedResource } from './manifests.js';
import { namespaceOrDefault, type PortcullisResource } from './resource.js';
import { secretValue, type Secret } from './secret.js';

/**
 * What a set of manifests names but does not hold: a policy's DataSource, a granted role the
 * DataSource does not list, a Secret or Secret key. In a cluster the operator reports these on
 * status; standalone, nothing else would notice before a session fails.
 */
export function referenceProblems(located: readonly LocatedResource[]): ManifestProblem[] {
  const find = <K extends PortcullisResource['kind']>(kind: K, namespace: string, name: string) =>
    located.find(
      ({ resource: r }) =>
        r.kind === kind && r.metadata.name === name && namespaceOrDefault(r) === namespace,
    )?.resource as Extract<PortcullisResource, { kind: K }> | undefined;

  const problems: ManifestProblem[] = [];
  for (const { document, resource } of located) {
    const at = { document, kind: resource.kind, name: resource.metadata.name };
    const namespace = namespaceOrDefault(resource);
    const report = (path: string, message: string) => problems.push({ ...at, path, message });

    if (resource.kind === 'DataSource') {
      checkDataSource(resource, (name) => find('Secret', namespace, name), report);
    } else if (resource.kind === 'AccessPolicy') {
      const dataSource = find('DataSource', namespace, resource.spec.dataSourceRef.name);
      checkPolicy(resource, dataSource, (name) => find('Secret', namespace, name), report);
    }
  }
  return problems;
}

type Report = (path: string, message: string) => void;
type SecretLookup = (name: string) => Secret | undefined;

function checkDataSource(dataSource: DataSource, secret: SecretLookup, report: Report): void {
  const { secretRef } = dataSource.spec.minter;
  const { usernameKey, passwordKey } = secretRef;
  checkSecretKeys(
    secret,
    secretRef.name,
    [usernameKey, passwordKey],
    'spec.minter.secretRef',
    report,
  );

  const ca = dataSource.spec.tls.caSecretRef;
  if (ca !== undefined) checkSecretKeys(secret, ca.name, [ca.key], 'spec.tls.caSecretRef', report);
}

function checkPolicy(
  policy: AccessPolicy,
  dataSource: DataSource | undefined,
  secret: SecretLookup,
  report: Report,
): void {
  const { dataSourceRef, grant, masking } = policy.spec;
  if (dataSource === undefined) {
    report(
      'spec.dataSourceRef.name',
      `no DataSource named ${dataSourceRef.name} in this namespace`,
    );
  } else if (!dataSource.spec.minter.grantableRoles.includes(grant.role)) {
    report(
      'spec.grant.role',
      `role ${grant.role} is not among the grantableRoles of DataSource ${dataSourceRef.name}`,
    );
  }

  const hashKey = masking.hashKeySecretRef;
  if (hashKey !== undefined) {
    checkSecretKeys(secret, hashKey.name, [hashKey.key], 'spec.masking.hashKeySecretRef', report);
  }
}

function checkSecretKeys(
  secret: SecretLookup,
  name: string,
  keys: readonly string[],
  path: string,
  report: Report,
): void {
  const found = secret(name);
  if (found === undefined) {
    report(path, `no Secret named ${name} in this namespace`);
    return;
  }
  for (const key of keys.filter((k) => secretValue(found, k) === undefined)) {
    report(path, `Secret ${name} has no key ${key}`);
  }
}
