import type { PostgresServer, MinterCredential } from '@portcullis/testkit';
import { stringify } from 'yaml';

/** What the test manifests describe. */
export interface TestManifestOptions {
  server: PostgresServer;
  minter: MinterCredential;
  database?: string;
  /** The workload identity the policy admits, as service account namespace and name. */
  serviceAccount?: { namespace: string; name: string };
  grantRole?: string;
  ttl?: string;
  maxSessionDuration?: string;
  tls?: { mode: 'disable' | 'require' | 'verify-full'; ca?: string };
  /** Leave the AccessPolicy out (every session refused). */
  withoutPolicy?: boolean;
  /** The policy's subjects instead of the service account. */
  subjects?: unknown[];
  /** DataSource classification, schema.table.column: kind. */
  classification?: Record<string, string>;
  /** The policy's spec.masking. */
  masking?: unknown;
  /** The policy's spec.guardrails. */
  guardrails?: unknown;
  /** The policy's spec.approval. */
  approval?: unknown;
  /** The policy's spec.limits. */
  limits?: unknown;
}

/** A DataSource, its minter Secret and one AccessPolicy, as a multi-document YAML text. */
export function testManifests(options: TestManifestOptions): string {
  const account = options.serviceAccount ?? { namespace: 'shop', name: 'web' };
  const tls = options.tls ?? { mode: 'disable' };
  const docs: unknown[] = [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'pg-minter', namespace: account.namespace },
      stringData: {
        username: options.minter.username,
        password: options.minter.password,
        ...(tls.ca ? { 'ca.crt': tls.ca } : {}),
      },
    },
    {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'DataSource',
      metadata: { name: 'shop-db', namespace: account.namespace },
      spec: {
        host: options.server.host,
        port: options.server.port,
        database: options.database ?? 'app',
        tls: {
          mode: tls.mode,
          ...(tls.ca ? { caSecretRef: { name: 'pg-minter', key: 'ca.crt' } } : {}),
        },
        minter: {
          secretRef: { name: 'pg-minter' },
          grantableRoles: ['app_reader', 'app_writer'],
          roleNamePrefix: 'pc_',
        },
        ...(options.classification ? { classification: options.classification } : {}),
      },
    },
  ];
  if (!options.withoutPolicy) {
    docs.push({
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'AccessPolicy',
      metadata: { name: 'web-reads', namespace: account.namespace },
      spec: {
        dataSourceRef: { name: 'shop-db' },
        workloadSelector: { matchLabels: { app: 'web' } },
        subjects: options.subjects ?? [{ serviceAccount: account }],
        grant: {
          role: options.grantRole ?? 'app_writer',
          ttl: options.ttl ?? '15m',
          maxSessionDuration: options.maxSessionDuration ?? '1h',
          connectionLimit: 3,
        },
        ...(options.masking ? { masking: options.masking } : {}),
        ...(options.guardrails ? { guardrails: options.guardrails } : {}),
        ...(options.approval ? { approval: options.approval } : {}),
        ...(options.limits ? { limits: options.limits } : {}),
      },
    });
  }
  return docs.map((doc) => stringify(doc)).join('---\n');
}
