import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Cluster } from '../../src/cluster.js';
import type { KubeObject } from '../../src/kube-api.js';
import { podManifest, specOf } from '../../src/pods.js';
import { waitFor } from '../../src/wait-for.js';

/**
 * Where the labelled-pod check runs: a cluster whose pod webhook is served by a running
 * operator, and a PostgreSQL that operator can log in to. The local suite points it at the
 * operator process and its throwaway PostgreSQL; the kind path at the chart's operator and
 * the database of e2e/kind/postgres.yaml.
 */
export interface LabelledPodTarget {
  cluster: Cluster;
  namespace: string;
  /** The spec of a DataSource the operator can reach (its minter Secret already exists). */
  dataSource: Record<string, unknown>;
  /** A role the minter may grant. */
  grantRole: string;
  /** Whether the operator injects native sidecars (the chart's sidecar.nativeSidecar). */
  nativeSidecars: boolean;
}

const NAME = 'labelled-check';
const GROUP = '/apis/portcullis.dev/v1alpha1';

/**
 * A labelled pod sent to the API server comes back with the gate, an unlabelled one as it was
 * sent. The pods are created with dryRun=All: the API server runs the whole admission chain,
 * webhooks included (they declare sideEffects None), and stores nothing, so no pod ever has
 * to be scheduled or run.
 */
export function describeLabelledPods(target: () => LabelledPodTarget): void {
  describe('labelled pods through the API server and the running operator', () => {
    const paths = () => {
      const ns = target().namespace;
      return {
        serviceAccount: `/api/v1/namespaces/${ns}/serviceaccounts/${NAME}`,
        policy: `${GROUP}/namespaces/${ns}/accesspolicies/${NAME}`,
        dataSource: `${GROUP}/namespaces/${ns}/datasources/${NAME}`,
      };
    };

    beforeAll(async () => {
      const { cluster, namespace, dataSource, grantRole } = target();
      const objects: KubeObject[] = [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NAME, namespace } },
        {
          apiVersion: 'portcullis.dev/v1alpha1',
          kind: 'DataSource',
          metadata: { name: NAME, namespace },
          spec: dataSource,
        },
        {
          apiVersion: 'portcullis.dev/v1alpha1',
          kind: 'AccessPolicy',
          metadata: { name: NAME, namespace },
          spec: {
            dataSourceRef: { name: NAME },
            workloadSelector: { matchLabels: { app: NAME } },
            subjects: [{ serviceAccount: { name: NAME } }],
            grant: { role: grantRole, ttl: '15m', maxSessionDuration: '1h' },
          },
        },
      ];
      const list = { apiVersion: 'v1', kind: 'List', items: objects };
      await cluster.kubectl.ok(['apply', '-f', '-'], JSON.stringify(list));
      // The webhook injects only for a Ready policy, which needs its DataSource Ready: the
      // operator logged in to PostgreSQL with the minter.
      await waitFor(
        `AccessPolicy ${NAME} Ready`,
        async () => {
          const policy = await cluster.api.get(paths().policy);
          const conditions = (policy.status?.['conditions'] ?? []) as Record<string, string>[];
          const ready = conditions.find((c) => c['type'] === 'Ready');
          if (ready?.['status'] !== 'True') throw new Error(JSON.stringify(ready ?? 'no status'));
          return ready;
        },
        90_000,
        500,
      );
    }, 120_000);

    afterAll(async () => {
      const { cluster } = target();
      const { policy, dataSource, serviceAccount } = paths();
      for (const path of [policy, dataSource, serviceAccount]) await cluster.api.delete(path);
    });

    const dryRunCreate = (labels: Record<string, string>): Promise<KubeObject> => {
      const { cluster, namespace } = target();
      const pod = podManifest(namespace, `${NAME}-pod`, { labels, serviceAccount: NAME });
      return cluster.api.create(`/api/v1/namespaces/${namespace}/pods?dryRun=All`, pod);
    };

    test('a labelled pod comes back with the gate, the app env and the record', async () => {
      const pod = await dryRunCreate({ app: NAME, 'portcullis.dev/inject': 'true' });
      const spec = specOf(pod);
      const record = JSON.parse(pod.metadata?.annotations?.['portcullis.dev/injected'] ?? '{}') as {
        mode?: string;
        ports?: Record<string, number>;
        policies?: string[];
      };
      expect(record.policies).toEqual([NAME]);

      const native = target().nativeSidecars;
      expect(record.mode).toBe(native ? 'native-sidecar' : 'first-container');
      const gates = native ? (spec.initContainers ?? []) : spec.containers;
      expect(gates[0]?.name).toBe('portcullis-gate');
      expect(gates[0]?.restartPolicy).toBe(native ? 'Always' : undefined);
      const all = [...(spec.initContainers ?? []), ...spec.containers];
      expect(all.filter((c) => c.name === 'portcullis-gate')).toHaveLength(1);

      const app = spec.containers.find((c) => c.name === 'app');
      const env = Object.fromEntries((app?.env ?? []).map((e) => [e.name, e.value]));
      expect(env).toMatchObject({ PGHOST: '127.0.0.1', PGPORT: String(record.ports?.[NAME]) });
      expect(Object.keys(env)).not.toContain('PGPASSWORD');
    });

    test('an unlabelled pod comes back as it was sent', async () => {
      const pod = await dryRunCreate({ app: NAME });
      const spec = specOf(pod);
      expect(spec.initContainers).toBeUndefined();
      expect(spec.containers.map((c) => [c.name, c.env])).toEqual([['app', undefined]]);
      expect(pod.metadata?.annotations?.['portcullis.dev/injected']).toBeUndefined();
    });
  });
}
