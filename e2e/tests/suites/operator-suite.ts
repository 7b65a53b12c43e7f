import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  createMinterRole,
  freePort,
  startPostgres,
  type MinterCredential,
  type PostgresServer,
} from '@portcullis/testkit';
import type { Cluster } from '../../src/cluster.js';
import { objectOf, renderChart, type ChartRender } from '../../src/helm-chart.js';
import { KubeApiError, type KubeObject } from '../../src/kube-api.js';
import { ensureNamespace } from '../../src/namespaces.js';
import {
  installOperatorIdentity,
  loopbackWebhooks,
  operatorArgs,
} from '../../src/operator-install.js';
import { startOperator, type OperatorProcess } from '../../src/operator-process.js';
import { createPod, podManifest, specOf } from '../../src/pods.js';
import { grantedPermissions, permissionsUsed } from '../../src/rbac-usage.js';
import { waitFor } from '../../src/wait-for.js';

/** Everything the operator-backed suites share; filled by describeOperator's beforeAll. */
export interface OperatorWorld {
  cluster: Cluster;
  render: ChartRender;
  db: PostgresServer;
  dir: string;
  operatorKubeconfig: string;
  operator: OperatorProcess;
  /**
   * Starts another operator process with the chart's args; httpsPort defaults to the one the
   * webhooks call (only one process can serve it).
   */
  startOperator(identity: string, httpsPort?: number): Promise<OperatorProcess>;
}

export const OPERATOR_NS = 'portcullis-system';
export const APP_NS = 'e2e-apps';
export const GROUP = '/apis/portcullis.dev/v1alpha1';
export const LEASE_SECONDS = 6;
const WEBHOOK_CONFIG = 'portcullis';
const OPERATOR_USER = `system:serviceaccount:${OPERATOR_NS}:portcullis`;

// Granted permissions this suite does not make the operator use, each with where it is used.
const NOT_EXERCISED_HERE: Record<string, string> = {
  '/secrets:update': 'self-managed TLS rotation before expiry (operator/src/tls unit tests)',
  'apps/deployments:patch': 'rollouts (e2e/tests/controllers.test.ts rolls a Deployment)',
  'apps/statefulsets:patch': 'rollouts of StatefulSets, the same code path as Deployments',
  'apps/daemonsets:patch': 'rollouts of DaemonSets, the same code path as Deployments',
};

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The Ready condition of a Portcullis object, or undefined before the operator wrote one. */
export async function readyCondition(
  cluster: Cluster,
  resource: string,
  name: string,
): Promise<Condition | undefined> {
  const object = await cluster.api.get(`${GROUP}/namespaces/${APP_NS}/${resource}/${name}`);
  const conditions = (object.status?.['conditions'] ?? []) as Condition[];
  return conditions.find((c) => c.type === 'Ready');
}

/**
 * Starts PostgreSQL and the operator as the chart deploys it (its ServiceAccount, RBAC,
 * webhook configurations and args; only ports, kubeconfig and addresses differ), then calls
 * body with the shared world for the describe blocks that need the operator.
 */
export function describeOperator(
  cluster: () => Cluster,
  body: (world: () => OperatorWorld) => void,
): void {
  describe('with the operator running', () => {
    describeOperatorBlocks(cluster, body);
  });
}

function describeOperatorBlocks(
  cluster: () => Cluster,
  body: (world: () => OperatorWorld) => void,
): void {
  let world: OperatorWorld | undefined;
  const processes: OperatorProcess[] = [];

  beforeAll(async () => {
    const c = cluster();
    const dir = await mkdtemp(join(c.dir ?? tmpdir(), 'suite-'));
    const render = await renderChart(c.binaries.helm, { namespace: OPERATOR_NS });
    if (render.code !== 0) throw new Error(`helm template failed: ${render.stderr}`);
    const operatorKubeconfig = join(dir, 'operator.kubeconfig');
    await installOperatorIdentity(c, render, OPERATOR_NS, operatorKubeconfig);
    await ensureNamespace(c.api, APP_NS);

    const httpsPort = await freePort();
    for (const config of loopbackWebhooks(render, httpsPort)) {
      await c.kubectl.ok(['apply', '--server-side', '-f', '-'], JSON.stringify(config));
    }
    const db = await startPostgres({ tls: true });

    const launch = async (identity: string, port = httpsPort): Promise<OperatorProcess> => {
      const metricsPort = await freePort();
      const args = operatorArgs(
        render,
        { POD_NAMESPACE: OPERATOR_NS, POD_NAME: identity },
        {
          kubeconfig: operatorKubeconfig,
          'https-port': String(port),
          'metrics-port': String(metricsPort),
          'extra-san': '127.0.0.1',
          'bundle-url': `https://127.0.0.1:${httpsPort}`,
          'lease-duration-seconds': String(LEASE_SECONDS),
          'renew-deadline-seconds': '4',
          'retry-period-seconds': '1',
          'resync-seconds': '2',
          'reap-grace-seconds': '1',
        },
      );
      const started = startOperator({ args, identity, httpsPort: port, metricsPort });
      processes.push(started);
      await started.ready();
      return started;
    };
    const operator = await launch('operator-a');
    world = { cluster: c, render, db, dir, operatorKubeconfig, operator, startOperator: launch };
  }, 180_000);

  afterAll(async () => {
    for (const started of processes) await started.process.stop('SIGTERM', 5_000);
    await world?.db.stop();
    if (world) await rm(world.dir, { recursive: true, force: true });
  }, 60_000);

  const current = (): OperatorWorld => {
    if (!world) throw new Error('the operator did not start (see beforeAll)');
    return world;
  };

  describe('the operator as the chart deploys it', () => {
    test('runs on the chart RBAC alone, leads, and patches its CA into every webhook', async () => {
      const { cluster: c, operator } = current();
      const lease = await waitFor('the lease held by operator-a', async () => {
        const found = await c.api.get(
          `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NS}/leases/portcullis-operator`,
        );
        return found.spec?.['holderIdentity'] === 'operator-a' ? found : undefined;
      });
      expect(lease.spec?.['leaseDurationSeconds']).toBe(LEASE_SECONDS);

      for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
        const config = await waitFor(`caBundle in ${kind}`, async () => {
          const found = await c.api.get<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(
            `/apis/admissionregistration.k8s.io/v1/${kind}/${WEBHOOK_CONFIG}`,
          );
          return found.webhooks.every((w) => w.clientConfig.caBundle) ? found : undefined;
        });
        for (const hook of config.webhooks) {
          expect(Buffer.from(hook.clientConfig.caBundle!, 'base64').toString()).toContain(
            '-----BEGIN CERTIFICATE-----',
          );
        }
      }
      expect(operator.process.output()).not.toMatch(/forbidden/i);
    }, 60_000);
  });

  body(current);

  describe('the chart RBAC, after everything above', () => {
    test('was enough: the API server refused the operator nothing', async () => {
      const c = current().cluster;
      if (!c.auditLog) throw new Error('no audit log: the suite needs the local control plane');
      const { refused, used } = await permissionsUsed(c.auditLog, OPERATOR_USER);
      expect(used.length).toBeGreaterThan(10);
      expect(refused).toEqual([]);
    });

    test('is no broader than needed: every granted permission was used', async () => {
      const c = current().cluster;
      if (!c.auditLog) throw new Error('no audit log: the suite needs the local control plane');
      const { objects } = current().render;
      const granted = grantedPermissions([
        ...(objectOf(objects, 'ClusterRole', 'portcullis')['rules'] as never[]),
        ...(objectOf(objects, 'Role', 'portcullis')['rules'] as never[]),
      ]);
      const { used } = await permissionsUsed(c.auditLog, OPERATOR_USER);
      const unused = granted.filter((p) => !used.includes(p) && !(p in NOT_EXERCISED_HERE));
      expect(unused).toEqual([]);
      // The exceptions must stay grants, or they are stale.
      for (const permission of Object.keys(NOT_EXERCISED_HERE)) {
        expect(granted).toContain(permission);
      }
    });
  });
}

/** A DataSource, its minter Secret, and PostgreSQL roles for it. */
export async function createDataSource(
  world: OperatorWorld,
  name: string,
  grantableRoles: string[],
  options: { password?: string; spec?: Record<string, unknown> } = {},
): Promise<MinterCredential> {
  const { cluster: c, db } = world;
  for (const role of grantableRoles) {
    await db.sql(
      `DO $$ BEGIN CREATE ROLE ${role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    );
  }
  const minter = await createMinterRole(db, { name: `${name}_minter`, grantableRoles });
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${name}-minter`, namespace: APP_NS },
    stringData: { username: minter.username, password: options.password ?? minter.password },
  };
  const dataSource = {
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'DataSource',
    metadata: { name, namespace: APP_NS },
    spec: {
      host: db.host,
      port: db.port,
      database: 'postgres',
      tls: { mode: 'require' },
      minter: { secretRef: { name: `${name}-minter` }, grantableRoles },
      ...options.spec,
    },
  };
  const list = { apiVersion: 'v1', kind: 'List', items: [secret, dataSource] };
  await c.kubectl.ok(['apply', '-f', '-'], JSON.stringify(list));
  return minter;
}

/** Creates a pod and returns the server's answer, or the refusal it gave. */
export async function tryCreatePod(
  world: OperatorWorld,
  pod: KubeObject,
): Promise<{ pod: KubeObject } | { refused: KubeApiError }> {
  try {
    return { pod: await createPod(world.cluster.api, pod) };
  } catch (error) {
    if (error instanceof KubeApiError) return { refused: error };
    throw error;
  }
}

export { podManifest, specOf };
