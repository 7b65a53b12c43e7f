import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { freePort, type MinterCredential } from '@portcullis/testkit';
import type { KubeObject } from '../../src/kube-api.js';
import { ensureNamespace } from '../../src/namespaces.js';
import { OTHER_WEBHOOK_LABEL, startOtherWebhook } from '../../src/other-webhook.js';
import {
  APP_NS,
  createDataSource,
  podManifest,
  readyCondition,
  specOf,
  tryCreatePod,
  type OperatorWorld,
} from './operator-suite.js';
import { waitFor } from '../../src/wait-for.js';

export const APP_SA = 'orders';
/** The real login of the `broken` DataSource's minter, whose Secret holds a wrong password. */
export let brokenMinter: MinterCredential | undefined;
let gatePort = 0;
export const APP_LABELS = { app: 'orders', 'portcullis.dev/inject': 'true' };
const SIDECAR = 'portcullis-gate';

/** Sends one AdmissionReview to the operator as the API server would, and returns the answer. */
async function review(
  world: OperatorWorld,
  path: string,
  object: KubeObject,
): Promise<{ allowed: boolean; patch?: string; status?: { message?: string } }> {
  const config = await world.cluster.api.get<{
    webhooks: { clientConfig: { caBundle: string } }[];
  }>('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/portcullis');
  const ca = Buffer.from(config.webhooks[0]!.clientConfig.caBundle, 'base64');
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'e2e-reinvocation',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: object.metadata?.namespace,
      name: object.metadata?.name,
      operation: 'CREATE',
      userInfo: { username: 'system:admin' },
      object,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  });
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(
      `https://127.0.0.1:${world.operator.httpsPort}${path}`,
      { method: 'POST', ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (data += chunk));
        res.once('end', () => resolve(data));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
  return (JSON.parse(text) as { response: never }).response;
}

/** DataSource readiness against a real PostgreSQL, then pod injection through the API server. */
export function describeInjection(world: () => OperatorWorld): void {
  describe('DataSources against a real PostgreSQL', () => {
    test('a DataSource whose minter can log in and grant its roles becomes Ready', async () => {
      // A free port: the gate runs on this host, where 5432 may be taken.
      gatePort = await freePort();
      await createDataSource(world(), 'orders', ['orders_reader'], {
        spec: { localPort: gatePort, classification: { 'public.customers.email': 'email' } },
      });
      const ready = await waitFor('DataSource orders Ready', async () => {
        const condition = await readyCondition(world().cluster, 'datasources', 'orders');
        return condition?.status === 'True' ? condition : undefined;
      });
      expect(ready.reason).toBe('Ready');
    }, 60_000);

    test('a minter Secret with a wrong password makes it not Ready, saying why', async () => {
      const wrong = 'not-the-password-e2e';
      brokenMinter = await createDataSource(world(), 'broken', ['orders_reader'], {
        password: wrong,
      });
      const condition = await waitFor('DataSource broken not Ready', async () => {
        const found = await readyCondition(world().cluster, 'datasources', 'broken');
        return found?.status === 'False' ? found : undefined;
      });
      expect(condition.reason).toBe('LoginFailed');
      expect(condition.message).toMatch(/password authentication failed|broken_minter/);
      expect(condition.message).not.toContain(wrong);
    }, 60_000);
  });

  describe('pod injection through the API server', () => {
    let injected: KubeObject;

    beforeAll(async () => {
      const { cluster: c, db } = world();
      await db.sql(
        'CREATE TABLE IF NOT EXISTS customers (id int PRIMARY KEY, name text, email text);' +
          "INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com') ON CONFLICT DO NOTHING;" +
          'GRANT SELECT ON customers TO orders_reader;',
      );
      await c.kubectl.ok(['create', 'serviceaccount', APP_SA, '-n', APP_NS]);
      const policy = {
        apiVersion: 'portcullis.dev/v1alpha1',
        kind: 'AccessPolicy',
        metadata: { name: 'orders-app', namespace: APP_NS },
        spec: {
          dataSourceRef: { name: 'orders' },
          workloadSelector: { matchLabels: { app: 'orders' } },
          subjects: [{ serviceAccount: { name: APP_SA } }],
          grant: { role: 'orders_reader', ttl: '15m', maxSessionDuration: '1h' },
        },
      };
      await c.kubectl.ok(['apply', '-f', '-'], JSON.stringify(policy));
      await waitFor('AccessPolicy orders-app Ready', async () => {
        const condition = await readyCondition(c, 'accesspolicies', 'orders-app');
        return condition?.status === 'True' ? condition : undefined;
      });
    }, 60_000);

    test('a labelled pod comes back with the gate injected as the chart configures it', async () => {
      const w = world();
      const manifest = podManifest(APP_NS, 'orders-1', {
        labels: APP_LABELS,
        serviceAccount: APP_SA,
      });
      const result = await tryCreatePod(w, manifest);
      if ('refused' in result) throw result.refused;
      injected = result.pod;

      const spec = specOf(injected);
      const gate = spec.initContainers?.find((c) => c.name === SIDECAR);
      expect(gate).toMatchObject({
        image: 'ghcr.io/portcullis-dev/portcullis:0.1.0',
        command: ['portcullis-sidecar'],
        restartPolicy: 'Always',
      });
      const args = gate!.args ?? [];
      expect(args[args.indexOf('--operator-url') + 1]).toBe(
        `https://127.0.0.1:${w.operator.httpsPort}`,
      );
      expect(args[args.indexOf('--token-file') + 1]).toBe('/var/run/secrets/portcullis/token');
      expect(args[args.indexOf('--identity') + 1]).toBe(
        `system:serviceaccount:${APP_NS}:${APP_SA}`,
      );
      const ca = gate!.env?.find((e) => e.name === 'PORTCULLIS_OPERATOR_CA')?.value ?? '';
      expect(ca).toContain('-----BEGIN CERTIFICATE-----');

      const tokenVolume = spec.volumes?.find((v) => v.name === 'portcullis-token');
      expect(JSON.stringify(tokenVolume)).toContain('"audience":"portcullis.dev"');
      const app = spec.containers.find((c) => c.name === 'app');
      const appEnv = Object.fromEntries((app?.env ?? []).map((e) => [e.name, e.value]));
      expect(appEnv).toMatchObject({ PGHOST: '127.0.0.1', PGPORT: String(gatePort) });
      expect(Object.keys(appEnv)).not.toContain('PGPASSWORD');

      const record = JSON.parse(
        injected.metadata?.annotations?.['portcullis.dev/injected'] ?? '{}',
      ) as {
        policies?: string[];
      };
      expect(record.policies).toEqual(['orders-app']);
    }, 30_000);

    test('re-running the webhook on an injected pod with nothing new changes nothing', async () => {
      const answer = await review(world(), '/mutate-pods', injected);
      expect({ allowed: answer.allowed, message: answer.status?.message }).toEqual({
        allowed: true,
        message: undefined,
      });
      const patch =
        answer.patch === undefined
          ? []
          : (JSON.parse(Buffer.from(answer.patch, 'base64').toString()) as unknown[]);
      expect(patch).toEqual([]);
    });

    test('a pod another webhook changes after the injection passes the reinvocation', async () => {
      const w = world();
      const dir = await mkdtemp(join(w.dir, 'other-webhook-'));
      const other = await startOtherWebhook(dir);
      try {
        await w.cluster.api.create(
          '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
          other.configuration,
        );
        const labels = { ...APP_LABELS, [OTHER_WEBHOOK_LABEL]: 'true' };
        const manifest = podManifest(APP_NS, 'reinvoked-1', { labels, serviceAccount: APP_SA });
        // The webhook configuration takes effect once the API server's informer has it.
        const pod = await waitFor('the pod admitted through both webhooks', async () => {
          const result = await tryCreatePod(w, manifest);
          if ('refused' in result) throw result.refused;
          const names = specOf(result.pod).containers.map((c) => c.name);
          if (names.includes('log-shipper')) return result.pod;
          await w.cluster.api.delete(`/api/v1/namespaces/${APP_NS}/pods/reinvoked-1`);
          return undefined;
        });
        const spec = specOf(pod);
        expect(spec.containers.map((c) => c.name)).toEqual(['app', 'log-shipper']);
        const gates = [...(spec.initContainers ?? []), ...spec.containers].filter(
          (c) => c.name === SIDECAR,
        );
        expect(gates).toHaveLength(1);
        // The second pass gave the container added after the injection the gate's env.
        const shipper = spec.containers.find((c) => c.name === 'log-shipper');
        const env = Object.fromEntries((shipper?.env ?? []).map((e) => [e.name, e.value]));
        expect(env).toEqual({
          PGHOST: '127.0.0.1',
          PGPORT: String(gatePort),
          PGDATABASE: 'postgres',
          DATABASE_URL: `postgresql://127.0.0.1:${gatePort}/postgres?sslmode=disable`,
        });
        const record: unknown = JSON.parse(
          pod.metadata?.annotations?.['portcullis.dev/injected'] ?? '{}',
        );
        expect(record).toHaveProperty(['env', 'log-shipper'], Object.keys(env));
      } finally {
        await w.cluster.api.delete(
          `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${String(other.configuration.metadata?.name)}`,
        );
        await other.close();
      }
    }, 60_000);

    test('an unlabelled pod is left as it was sent', async () => {
      const manifest = podManifest(APP_NS, 'plain-1', {
        labels: { app: 'orders' },
        serviceAccount: APP_SA,
      });
      const result = await tryCreatePod(world(), manifest);
      if ('refused' in result) throw result.refused;
      const spec = specOf(result.pod);
      expect(spec.initContainers).toBeUndefined();
      expect(spec.containers.map((c) => [c.name, c.env])).toEqual([['app', undefined]]);
      expect(result.pod.metadata?.annotations?.['portcullis.dev/injected']).toBeUndefined();
    });

    test('a labelled pod in kube-system is left alone', async () => {
      await ensureNamespace(world().cluster.api, 'kube-system');
      const manifest = podManifest('kube-system', 'labelled-1', { labels: APP_LABELS });
      const result = await tryCreatePod(world(), manifest);
      if ('refused' in result) throw result.refused;
      expect(specOf(result.pod).initContainers).toBeUndefined();
      expect(specOf(result.pod).containers).toHaveLength(1);
    });

    test('a labelled hostNetwork pod is refused with the reason', async () => {
      const manifest = podManifest(APP_NS, 'host-1', {
        labels: APP_LABELS,
        serviceAccount: APP_SA,
        hostNetwork: true,
      });
      const result = await tryCreatePod(world(), manifest);
      if (!('refused' in result)) throw new Error('a hostNetwork pod was admitted');
      expect(result.refused.message).toContain(
        'admission webhook "pods.portcullis.dev" denied the request',
      );
      expect(result.refused.message).toContain('the pod uses hostNetwork');
      const missing = await world().cluster.api.find(`/api/v1/namespaces/${APP_NS}/pods/host-1`);
      expect(missing).toBeUndefined();
    });
  });
}
