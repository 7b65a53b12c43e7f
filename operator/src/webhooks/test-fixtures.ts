// Builders for the objects the webhook tests feed in, parsed through the real schemas so a
// fixture is exactly what the cache would hold.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import {
  accessPolicySchema,
  dataSourceSchema,
  type AccessPolicy,
  type DataSource,
} from '@portcullis/crds';
import type { PodPatchConfig } from './pod-patch.js';
import { DEFAULT_SIDECAR_RESOURCES } from './sidecar-settings.js';

export function dataSource(
  name: string,
  extra: { localPort?: number; database?: string; namespace?: string } = {},
): DataSource {
  return dataSourceSchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'DataSource',
    metadata: { name, namespace: extra.namespace ?? 'shop', generation: 1 },
    spec: {
      host: `${name}.db.internal`,
      database: extra.database ?? name,
      minter: { secretRef: { name: `${name}-minter` }, grantableRoles: ['app_rw', 'app_ro'] },
      ...(extra.localPort === undefined ? {} : { localPort: extra.localPort }),
    },
  });
}

export function policy(
  name: string,
  dataSourceName: string,
  matchLabels: Record<string, string> = { app: 'orders' },
  extra: Record<string, unknown> = {},
): AccessPolicy {
  return accessPolicySchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'AccessPolicy',
    metadata: { name, namespace: 'shop', generation: 1 },
    spec: {
      dataSourceRef: { name: dataSourceName },
      workloadSelector: { matchLabels },
      subjects: [{ serviceAccount: { name: 'orders' } }],
      grant: { role: 'app_rw' },
      ...extra,
    },
  });
}

export function pod(spec: Partial<V1Pod['spec']> = {}, metadata: V1Pod['metadata'] = {}): V1Pod {
  const app: V1Container = { name: 'app', image: 'shop/orders:1' };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'orders-',
      namespace: 'shop',
      labels: { app: 'orders', 'portcullis.dev/inject': 'true' },
      ...metadata,
    },
    spec: { containers: [app], ...spec },
  };
}

export function patchConfig(extra: Partial<PodPatchConfig> = {}): PodPatchConfig {
  return {
    image: 'ghcr.io/portcullis/sidecar:0.1.0',
    operatorUrl: 'https://portcullis.portcullis-system.svc:443',
    operatorCaPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    nativeSidecars: true,
    healthPort: 9464,
    tokenExpirationSeconds: 3600,
    runAsUser: 65532,
    sidecar: { resources: DEFAULT_SIDECAR_RESOURCES, logLevel: 'info' },
    excludedNamespaces: ['kube-system', 'portcullis-system'],
    ...extra,
  };
}
