// Builders for the objects the webhook tests feed in, parsed through the real schemas so a
// fixture is exactly what the cache would hold.
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import {
  accessPolicySchema,
  dataSourceSchema,
  type AccessPolicy,
  type DataSource,
} from '@portcullis/crds';
import type { CachedPod } from '../kube/cache.js';
import type { ServingTls } from '../tls/serving-tls.js';
import { nextTlsData } from '../tls/tls-rotation.js';
import { applyJsonPatch } from './json-patch.js';
import { buildPodPatch, type PodPatchConfig } from './pod-patch.js';
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

/** A pod as the API server stores it after this webhook injected it. */
export function injectedPod(name: string, labels: Record<string, string> = { app: 'orders' }) {
  const before = pod(
    { serviceAccountName: 'orders' },
    { name, labels: { ...labels, 'portcullis.dev/inject': 'true' }, uid: `uid-${name}` },
  );
  const result = buildPodPatch({
    pod: before,
    namespace: 'shop',
    policies: [policy('any', 'orders')],
    dataSources: [dataSource('orders')],
    config: patchConfig(),
  });
  if (!('record' in result)) throw new Error('fixture pod was not injected');
  return applyJsonPatch(before, result.patch) as CachedPod;
}

/** A ServingTls with a fixed CA and certificate for 127.0.0.1 and localhost. */
export async function staticTls(): Promise<ServingTls> {
  const data = (await nextTlsData(undefined, ['localhost', '127.0.0.1'], new Date()))!;
  const material = { certPem: data['tls.crt'], keyPem: data['tls.key'], caPem: data['ca.crt'] };
  return {
    start: () => Promise.resolve(),
    current: () => material,
    onChange: () => () => undefined,
    stop: () => Promise.resolve(),
  };
}

/** A JSON request over HTTPS trusting only `ca`; returns the status, headers and body. */
export function httpsJson(
  url: string,
  options: { ca: string; method?: string; headers?: Record<string, string>; body?: unknown },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: unknown }> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: options.method ?? 'GET',
        ca: options.ca,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text === '' ? undefined : (JSON.parse(text) as unknown),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
