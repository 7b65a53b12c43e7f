import { describe, expect, it } from '@jest/globals';
import type { AccessPolicy, DataSource } from '@portcullis/crds';
import { accessPolicySchema, dataSourceSchema, GROUP_VERSION } from '@portcullis/crds';
import { GateError } from '../errors/gate-error.js';
import type { Identity } from '../identity/identity.js';
import { decide } from './decision.js';
import type { PolicySnapshot } from './policy-source.js';

const ISSUER = 'https://login.example.com';

function dataSource(name: string, namespace = 'shop'): DataSource {
  return dataSourceSchema.parse({
    apiVersion: GROUP_VERSION,
    kind: 'DataSource',
    metadata: { name, namespace },
    spec: {
      host: 'db.example.com',
      database: name,
      minter: { secretRef: { name: 'minter' }, grantableRoles: ['app_read'] },
    },
  });
}

function policy(
  name: string,
  subjects: unknown[],
  options: { dataSource?: string; namespace?: string } = {},
): AccessPolicy {
  return accessPolicySchema.parse({
    apiVersion: GROUP_VERSION,
    kind: 'AccessPolicy',
    metadata: { name, namespace: options.namespace ?? 'shop' },
    spec: {
      dataSourceRef: { name: options.dataSource ?? 'orders' },
      workloadSelector: {},
      subjects,
      grant: { role: 'app_read' },
    },
  });
}

const checkout: Identity = {
  kind: 'serviceAccount',
  name: 'system:serviceaccount:shop:checkout',
  groups: [],
  claims: {},
};

const alice: Identity = {
  kind: 'oidc',
  name: 'alice@example.com',
  issuer: ISSUER,
  groups: ['staff', 'analysts'],
  claims: { aud: ['portcullis', 'other'], tenant: 'acme', email_verified: true, level: 3 },
};

const oidc = (extra: Record<string, unknown> = {}) => ({
  oidc: { issuer: ISSUER, audience: 'portcullis', ...extra },
});

function snapshotOf(policies: AccessPolicy[], dataSources = [dataSource('orders')]) {
  const snapshot: PolicySnapshot = { dataSources, policies, secrets: new Map(), version: '1' };
  return snapshot;
}

describe('decide', () => {
  it.each<[string, AccessPolicy[], Identity, string]>([
    [
      'a service account in the policy namespace',
      [policy('p', [{ serviceAccount: { name: 'checkout' } }])],
      checkout,
      'shop/p',
    ],
    [
      'a service account with an explicit namespace',
      [policy('p', [{ serviceAccount: { name: 'checkout', namespace: 'shop' } }])],
      checkout,
      'shop/p',
    ],
    ['an OIDC caller by issuer and audience', [policy('p', [oidc()])], alice, 'shop/p'],
    [
      'an OIDC caller in one of the groups',
      [policy('p', [oidc({ groups: ['dba', 'analysts'] })])],
      alice,
      'shop/p',
    ],
    [
      'an OIDC caller with every required claim, booleans and numbers as strings',
      [policy('p', [oidc({ claims: { tenant: 'acme', email_verified: 'true', level: '3' } })])],
      alice,
      'shop/p',
    ],
    [
      'the one policy among several that admits the caller',
      [
        policy('other-sa', [{ serviceAccount: { name: 'billing' } }]),
        policy('people', [oidc()]),
        policy('other-db', [oidc()], { dataSource: 'invoices' }),
      ],
      alice,
      'shop/people',
    ],
    [
      'a policy with several subjects, one of which matches',
      [policy('p', [{ serviceAccount: { name: 'billing' } }, oidc()])],
      alice,
      'shop/p',
    ],
  ])('admits %s', (_, policies, identity, expected) => {
    const decision = decide(snapshotOf(policies), identity, 'orders');

    expect(`${decision.policy.metadata.namespace}/${decision.policy.metadata.name}`).toBe(expected);
    expect(decision.dataSource.metadata.name).toBe('orders');
  });

  it.each<[string, AccessPolicy[], Identity]>([
    ['when there is no policy at all', [], checkout],
    ['another service account', [policy('p', [{ serviceAccount: { name: 'billing' } }])], checkout],
    [
      'the service account of another namespace',
      [policy('p', [{ serviceAccount: { name: 'checkout', namespace: 'billing' } }])],
      checkout,
    ],
    ['a service account where only OIDC callers are named', [policy('p', [oidc()])], checkout],
    [
      'an OIDC caller where only service accounts are named',
      [policy('p', [{ serviceAccount: { name: 'checkout' } }])],
      alice,
    ],
    [
      'an OIDC caller of another issuer',
      [policy('p', [{ oidc: { issuer: 'https://other.example.com', audience: 'portcullis' } }])],
      alice,
    ],
    ['an OIDC caller of another audience', [policy('p', [oidc({ audience: 'x' })])], alice],
    ['an OIDC caller in none of the groups', [policy('p', [oidc({ groups: ['dba'] })])], alice],
    [
      'an OIDC caller missing one required claim',
      [policy('p', [oidc({ claims: { tenant: 'acme', region: 'eu' } })])],
      alice,
    ],
    [
      'an OIDC caller with a different claim value',
      [policy('p', [oidc({ claims: { tenant: 'globex' } })])],
      alice,
    ],
    [
      'a caller admitted only to another data source',
      [policy('p', [oidc()], { dataSource: 'invoices' })],
      alice,
    ],
    [
      'a caller admitted by a policy of another namespace',
      [policy('p', [oidc()], { namespace: 'billing' })],
      alice,
    ],
  ])('refuses %s', (_, policies, identity) => {
    expect(() => decide(snapshotOf(policies), identity, 'orders')).toThrow(
      expect.objectContaining({
        sqlstate: '28000',
        message: expect.stringMatching(/^no AccessPolicy admits .+ to orders$/),
      }),
    );
  });

  it('refuses an overlap of two policies, naming both', () => {
    const policies = [
      policy('people', [oidc()]),
      policy('analysts', [oidc({ groups: ['analysts'] })]),
    ];

    const error = catchGateError(() => decide(snapshotOf(policies), alice, 'orders'));

    expect(error.sqlstate).toBe('28000');
    expect(error.message).toBe(
      `AccessPolicies shop/people, shop/analysts all admit alice@example.com (issuer ${ISSUER}) to orders`,
    );
  });

  it('puts manifests without a namespace in "default", as kubectl would', () => {
    const bare = (object: AccessPolicy | DataSource) => {
      delete object.metadata.namespace;
      return object;
    };
    const policies = [
      bare(policy('p', [{ serviceAccount: { name: 'checkout' } }])) as AccessPolicy,
    ];
    const snapshot = snapshotOf(policies, [bare(dataSource('orders')) as DataSource]);
    const inDefault = { ...checkout, name: 'system:serviceaccount:default:checkout' };

    expect(decide(snapshot, inDefault, 'orders').policy.metadata.name).toBe('p');
    expect(() => decide(snapshot, checkout, 'orders')).toThrow(GateError);
  });

  it('refuses a data source the snapshot does not hold', () => {
    const policies = [policy('p', [{ serviceAccount: { name: 'checkout' } }])];

    const error = catchGateError(() => decide(snapshotOf(policies), checkout, 'invoices'));

    expect(error.sqlstate).toBe('28000');
    expect(error.message).toBe('no DataSource is named "invoices"');
  });
});

function catchGateError(run: () => unknown): GateError {
  try {
    run();
  } catch (error) {
    if (error instanceof GateError) return error;
    throw error;
  }
  throw new Error('expected a GateError');
}
