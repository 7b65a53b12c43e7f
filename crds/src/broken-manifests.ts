import { GROUP_VERSION } from './common.js';
import { STATEMENT_CLASSES } from './statement-class.js';

/** How the API server refuses a broken manifest: its structural schema, a CEL rule, or strict
 * field validation (`kubectl apply --validate=strict`, which names the field in its message). */
export type RefusedBy = 'schema' | 'cel' | 'unknown-field';

/** A manifest with one mistake, and the problem parseResource reports for it. */
export interface BrokenManifest {
  name: string;
  manifest: Record<string, unknown>;
  path: string;
  message: string;
  refusedBy: RefusedBy;
  /** Where the API server reports it, when that differs from `path`. */
  serverPath?: string;
}

/**
 * A table of broken manifests, each with exactly one problem. The unit tests check the parser
 * against it; an end-to-end test can apply the same objects to a real API server and expect
 * each refused at the same field.
 */
export function brokenManifests(namespace = 'default'): BrokenManifest[] {
  const ds = () => validDataSource(namespace);
  const ap = () => validAccessPolicy(namespace);

  return [
    {
      name: 'a misspelt field',
      manifest: edit(ap(), (s) => {
        const grant = s['grant'] as Record<string, unknown>;
        grant['tll'] = grant['ttl'];
        delete grant['ttl'];
      }),
      path: 'spec.grant.tll',
      message: 'unknown field "tll"',
      refusedBy: 'unknown-field',
    },
    {
      name: 'a ttl above maxSessionDuration',
      manifest: edit(
        ap(),
        (s) => (s['grant'] = { role: 'orders_reader', ttl: '2h', maxSessionDuration: '1h30m' }),
      ),
      path: 'spec.grant.ttl',
      message: 'ttl may not exceed maxSessionDuration',
      refusedBy: 'cel',
    },
    {
      name: 'a ttl above the default maxSessionDuration',
      manifest: edit(ap(), (s) => (s['grant'] = { role: 'orders_reader', ttl: '90m' })),
      path: 'spec.grant.ttl',
      message: 'ttl may not exceed maxSessionDuration',
      refusedBy: 'cel',
    },
    {
      name: 'a subject with both serviceAccount and oidc',
      manifest: edit(ap(), (s) => {
        s['subjects'] = [
          {
            serviceAccount: { name: 'nightly-report' },
            oidc: { issuer: 'https://login.example.com', audience: 'orders' },
          },
        ];
      }),
      path: 'spec.subjects[0]',
      message: 'set exactly one of serviceAccount or oidc',
      refusedBy: 'cel',
    },
    {
      name: 'a subject with neither serviceAccount nor oidc',
      manifest: edit(ap(), (s) => (s['subjects'] = [{}])),
      path: 'spec.subjects[0]',
      message: 'set exactly one of serviceAccount or oidc',
      refusedBy: 'cel',
    },
    {
      name: 'a duration in days, which Go and CEL cannot read',
      manifest: edit(
        ap(),
        (s) => (s['grant'] = { role: 'orders_reader', maxSessionDuration: '1d' }),
      ),
      path: 'spec.grant.maxSessionDuration',
      message: 'must be a duration such as 30s, 5m, 1h or 1h30m (units ms, s, m, h)',
      refusedBy: 'schema',
    },
    {
      name: 'a zero ttl',
      manifest: edit(ap(), (s) => (s['grant'] = { role: 'orders_reader', ttl: '0s' })),
      path: 'spec.grant.ttl',
      message: 'must be longer than zero',
      refusedBy: 'cel',
    },
    {
      name: 'a classified column without its schema',
      manifest: edit(ds(), (s) => (s['classification'] = { 'customers.email': 'email' })),
      path: 'spec.classification[customers.email]',
      message: 'invalid key: must be schema.table.column, such as public.customers.email',
      refusedBy: 'cel',
      serverPath: 'spec.classification',
    },
    {
      name: 'a detector column without its schema',
      manifest: edit(ap(), (s) => {
        s['masking'] = {
          rules: [{ detector: 'credit_card', columns: ['orders.notes'], strategy: 'redact' }],
        };
      }),
      path: 'spec.masking.rules[0].columns[0]',
      message: 'must be schema.table.column, such as public.customers.email',
      refusedBy: 'schema',
    },
    {
      name: 'a DataSource without a minter',
      manifest: edit(ds(), (s) => delete s['minter']),
      path: 'spec.minter',
      message: 'required',
      refusedBy: 'schema',
    },
    {
      name: 'a masking rule with both classification and detector',
      manifest: edit(ap(), (s) => {
        s['masking'] = {
          rules: [{ classification: 'credit_card', detector: 'credit_card', strategy: 'redact' }],
        };
      }),
      path: 'spec.masking.rules[0]',
      message: 'set exactly one of classification or detector',
      refusedBy: 'cel',
    },
    {
      name: 'columns on a classification rule',
      manifest: edit(ap(), (s) => {
        s['masking'] = {
          rules: [
            { classification: 'email', columns: ['public.customers.email'], strategy: 'hash' },
          ],
        };
      }),
      path: 'spec.masking.rules[0].columns',
      message: 'columns narrows a detector; a classification names its columns already',
      refusedBy: 'cel',
    },
    {
      name: 'an approval rule without a condition',
      manifest: edit(ap(), (s) => {
        s['approval'] = { rules: [{}], approvers: { groups: ['data-stewards'] } };
      }),
      path: 'spec.approval.rules[0]',
      message: 'set at least one of classes, tables or rowsOver',
      refusedBy: 'cel',
    },
    {
      name: 'an approval without approvers',
      manifest: edit(ap(), (s) => {
        s['approval'] = { rules: [{ rowsOver: 1000 }], approvers: { users: [] } };
      }),
      path: 'spec.approval.approvers',
      message: 'name at least one user or group',
      refusedBy: 'cel',
    },
    {
      name: 'a CA for a connection that does not check certificates',
      manifest: edit(ds(), (s) => {
        s['tls'] = { mode: 'require', caSecretRef: { name: 'orders-db-ca', key: 'ca.crt' } };
      }),
      path: 'spec.tls.caSecretRef',
      message: 'caSecretRef is only used with mode verify-full',
      refusedBy: 'cel',
    },
    {
      name: 'a table rule that neither allows nor denies',
      manifest: edit(ap(), (s) => {
        s['guardrails'] = { tables: [{ table: 'public.payment_methods' }] };
      }),
      path: 'spec.guardrails.tables[0]',
      message: 'set allow, deny or both',
      refusedBy: 'cel',
    },
    {
      name: 'an SQL keyword instead of a statement class',
      manifest: edit(ap(), (s) => (s['guardrails'] = { allow: ['select'] })),
      path: 'spec.guardrails.allow[0]',
      message: `must be one of ${STATEMENT_CLASSES.join(', ')}`,
      refusedBy: 'schema',
    },
    {
      name: 'a port written as a string',
      manifest: edit(ds(), (s) => (s['port'] = '5432')),
      path: 'spec.port',
      message: 'must be a number',
      refusedBy: 'schema',
    },
    {
      name: 'a quoted (upper case) role name',
      manifest: edit(ds(), (s) => {
        (s['minter'] as Record<string, unknown>)['grantableRoles'] = ['Orders_Reader'];
      }),
      path: 'spec.minter.grantableRoles[0]',
      message: 'must be a lowercase PostgreSQL identifier (max 63 bytes)',
      refusedBy: 'schema',
    },
    {
      name: 'a label selector In without values',
      manifest: edit(ap(), (s) => {
        s['workloadSelector'] = { matchExpressions: [{ key: 'app', operator: 'In' }] };
      }),
      path: 'spec.workloadSelector.matchExpressions[0].values',
      message: 'In and NotIn need values; Exists and DoesNotExist take none',
      refusedBy: 'cel',
    },
    {
      name: 'an OIDC issuer that is not an http(s) URL',
      manifest: edit(ap(), (s) => {
        s['subjects'] = [{ oidc: { issuer: 'login.example.com', audience: 'orders' } }];
      }),
      path: 'spec.subjects[0].oidc.issuer',
      message: 'must be an http or https URL',
      refusedBy: 'schema',
    },
  ];
}

/** A DataSource every case starts from; valid as it is. */
export function validDataSource(namespace = 'default'): Record<string, unknown> {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'DataSource',
    metadata: { name: 'orders', namespace },
    spec: {
      host: 'orders-db.shop.svc.cluster.local',
      database: 'orders',
      minter: { secretRef: { name: 'orders-minter' }, grantableRoles: ['orders_reader'] },
      classification: { 'public.customers.email': 'email' },
    },
  };
}

/** An AccessPolicy every case starts from; valid as it is. */
export function validAccessPolicy(namespace = 'default'): Record<string, unknown> {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'AccessPolicy',
    metadata: { name: 'nightly-report', namespace },
    spec: {
      dataSourceRef: { name: 'orders' },
      workloadSelector: { matchLabels: { app: 'nightly-report' } },
      subjects: [{ serviceAccount: { name: 'nightly-report' } }],
      grant: { role: 'orders_reader', ttl: '15m', maxSessionDuration: '1h' },
    },
  };
}

function edit(
  manifest: Record<string, unknown>,
  change: (spec: Record<string, unknown>) => unknown,
): Record<string, unknown> {
  change(manifest['spec'] as Record<string, unknown>);
  return manifest;
}
