import { describe, expect, test } from '@jest/globals';
import { freePort } from '@portcullis/testkit';
import type { KubeObject } from '../../src/kube-api.js';
import type { OperatorProcess } from '../../src/operator-process.js';
import { waitFor } from '../../src/wait-for.js';
import { APP_LABELS, APP_SA, brokenMinter } from './injection-suite.js';
import {
  APP_NS,
  LEASE_SECONDS,
  OPERATOR_NS,
  podManifest,
  readyCondition,
  tryCreatePod,
  type OperatorWorld,
} from './operator-suite.js';

const LEASE_PATH = `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NS}/leases/portcullis-operator`;

function lease(world: OperatorWorld): Promise<KubeObject> {
  return world.cluster.api.get<KubeObject>(LEASE_PATH);
}

async function leaderGauge(operator: OperatorProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${operator.metricsPort}/metrics`)).text();
  const line = /^portcullis_operator_leader\s+(\d+)/m.exec(text);
  if (!line?.[1]) throw new Error('portcullis_operator_leader missing from /metrics');
  return Number(line[1]);
}

/** Fail closed without the operator; then leader election between two operator processes. */
export function describeFailover(world: () => OperatorWorld): void {
  describe('with the operator stopped', () => {
    test('a labelled pod is refused and an unlabelled pod is admitted', async () => {
      await world().operator.process.stop('SIGTERM', 5_000);

      const labelled = podManifest(APP_NS, 'closed-1', {
        labels: APP_LABELS,
        serviceAccount: APP_SA,
      });
      const refused = await tryCreatePod(world(), labelled);
      if (!('refused' in refused))
        throw new Error('a labelled pod was admitted without the operator');
      expect(refused.refused.message).toContain('failed calling webhook "pods.portcullis.dev"');
      expect(refused.refused.message).toMatch(/connection refused/);

      const plain = podManifest(APP_NS, 'open-1', {
        labels: { app: 'orders' },
        serviceAccount: APP_SA,
      });
      const admitted = await tryCreatePod(world(), plain);
      if ('refused' in admitted) throw admitted.refused;
      expect(admitted.pod.metadata?.name).toBe('open-1');
    }, 30_000);
  });

  describe('leader election between two operator processes', () => {
    test('one leads; when it is killed the other takes over within the lease duration', async () => {
      const w = world();
      const [b, c] = await Promise.all([
        w.startOperator('operator-b'),
        freePort().then((port) => w.startOperator('operator-c', port)),
      ]);
      const holder = await waitFor(
        'a new leader',
        async () => {
          const lease = await w.cluster.api.get<KubeObject>(LEASE_PATH);
          const id = lease.spec?.['holderIdentity'];
          return id === 'operator-b' || id === 'operator-c' ? id : undefined;
        },
        20_000,
      );
      const [leader, follower] = holder === 'operator-b' ? [b, c] : [c, b];
      expect(await leaderGauge(leader)).toBe(1);
      expect(await leaderGauge(follower)).toBe(0);

      leader.process.child.kill('SIGKILL');
      await leader.process.exited;
      // The dead leader renews no more: this renewTime is its last.
      const lastRenew = Date.parse(String((await lease(w)).spec?.['renewTime']));
      const taken = await waitFor(
        'the follower to take the lease',
        async () => {
          const found = await lease(w);
          return found.spec?.['holderIdentity'] === follower.identity ? found : undefined;
        },
        (LEASE_SECONDS + 10) * 1000,
        100,
      );
      // Server timestamps. The follower counts the lease from when it saw the last renewal
      // (up to one 1 s retry period after it happened), and acts on its next retry tick: it
      // waits out the lease, and takes it within two retry periods and some slack after.
      const takeoverMs = Date.parse(String(taken.spec?.['acquireTime'])) - lastRenew;
      expect(takeoverMs).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000);
      expect(takeoverMs).toBeLessThanOrEqual((LEASE_SECONDS + 3) * 1000);
      expect(await leaderGauge(follower)).toBe(1);

      // Only the leader writes status: the broken DataSource turning Ready once its Secret
      // holds the right password (Secrets pass no Portcullis webhook) proves the new one leads.
      if (!brokenMinter) throw new Error('the broken DataSource test did not run');
      await w.cluster.api.patch(`/api/v1/namespaces/${APP_NS}/secrets/broken-minter`, {
        stringData: { password: brokenMinter.password },
      });
      const ready = await waitFor('DataSource broken Ready', async () => {
        const condition = await readyCondition(w.cluster, 'datasources', 'broken');
        return condition?.status === 'True' ? condition : undefined;
      });
      expect(ready.reason).toBe('Ready');
    }, 90_000);
  });
}
