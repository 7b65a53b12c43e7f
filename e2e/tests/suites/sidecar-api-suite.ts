import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../src/kube-api.js';
import { Kubectl } from '../../src/kubectl.js';
import { writeKubeconfig } from '../../src/kubeconfig.js';
import { callOperator } from '../../src/operator-https.js';
import { repoPath } from '../../src/paths.js';
import { specOf } from '../../src/pods.js';
import { requestToken } from '../../src/service-account-token.js';
import { APP_SA } from './injection-suite.js';
import { APP_NS, type OperatorWorld } from './operator-suite.js';

const STEWARD = 'steward';
const STEWARD_USER = `system:serviceaccount:${APP_NS}:${STEWARD}`;

let stewardKubectl: Kubectl | undefined;

/** kubectl (with the portcullis plugin on PATH) as the data steward the policy names. */
export function steward(): Kubectl {
  if (!stewardKubectl) throw new Error('the sidecar API suite did not set up the steward');
  return stewardKubectl;
}

interface Gate {
  operatorUrl: string;
  ca: string;
}

/** What the webhook told the gate of pod: where the operator is, and the CA to trust. */
function injectedGate(pod: KubeObject): Gate {
  const gate = specOf(pod).initContainers?.find((c) => c.name === 'portcullis-gate');
  if (!gate) throw new Error(`pod ${pod.metadata?.name} has no injected gate`);
  const args = gate.args ?? [];
  const ca = gate.env?.find((e) => e.name === 'PORTCULLIS_OPERATOR_CA')?.value;
  const operatorUrl = args[args.indexOf('--operator-url') + 1];
  if (!ca || !operatorUrl) throw new Error('the injected gate lacks its operator URL or CA');
  return { operatorUrl, ca };
}

/**
 * The operator's sidecar API driven with what the webhook injected and a TokenRequest token
 * bound to the pod: bundles through TokenReview, a policy edit reaching a long-poll, and an
 * approval decided with `kubectl portcullis approve`.
 */
export function describeSidecarApi(world: () => OperatorWorld): void {
  describe('the sidecar API, called as the injected gate calls it', () => {
    let pod: KubeObject;
    let gate: Gate;
    let token: string;

    beforeAll(async () => {
      const w = world();
      pod = await w.cluster.api.get(`/api/v1/namespaces/${APP_NS}/pods/orders-1`);
      gate = injectedGate(pod);
      token = await requestToken(w.cluster.api, APP_NS, APP_SA, {
        audience: 'portcullis.dev',
        pod,
      });

      // A data steward who may decide with the chart's approver ClusterRole, nothing else.
      await w.cluster.kubectl.ok(['create', 'serviceaccount', STEWARD, '-n', APP_NS]);
      await w.cluster.kubectl.ok([
        'create',
        'rolebinding',
        'steward-approves',
        '-n',
        APP_NS,
        '--clusterrole=portcullis-approver',
        `--serviceaccount=${APP_NS}:${STEWARD}`,
      ]);
      const kubeconfig = join(w.dir, 'steward.kubeconfig');
      await writeKubeconfig(kubeconfig, {
        server: w.cluster.api.server,
        caFile: w.cluster.caFile ?? '',
        token: await requestToken(w.cluster.api, APP_NS, STEWARD),
        user: STEWARD_USER,
      });
      // kubectl finds plugins as kubectl-NAME on PATH.
      const bin = join(w.dir, 'bin');
      await mkdir(bin, { recursive: true });
      await symlink(repoPath('operator/bin/kubectl-portcullis'), join(bin, 'kubectl-portcullis'));
      const path = `${bin}:${join(process.execPath, '..')}:${process.env.PATH ?? ''}`;
      stewardKubectl = new Kubectl(w.cluster.binaries.kubectl, kubeconfig, {
        ...process.env,
        PATH: path,
      });
    }, 60_000);

    test('a token bound to the pod gets its bundle through TokenReview; others get none', async () => {
      const bundle = await callOperator(`${gate.operatorUrl}/v1/bundle`, { ...gate, token });
      expect(bundle.status).toBe(200);
      expect(bundle.headers['etag']).toBeTruthy();
      const text = JSON.stringify(bundle.body);
      expect(text).toContain('orders-app');
      expect(text).toContain('"orders"');
      expect(text).not.toContain('"broken"');

      const unbound = await requestToken(world().cluster.api, APP_NS, APP_SA, {
        audience: 'portcullis.dev',
      });
      const refused = await callOperator(`${gate.operatorUrl}/v1/bundle`, {
        ...gate,
        token: unbound,
      });
      expect(refused.status).toBeGreaterThanOrEqual(401);
      expect(refused.status).toBeLessThanOrEqual(403);
      const wrongAudience = await requestToken(world().cluster.api, APP_NS, APP_SA, { pod });
      const refusedAgain = await callOperator(`${gate.operatorUrl}/v1/bundle`, {
        ...gate,
        token: wrongAudience,
      });
      expect(refusedAgain.status).toBe(401);
    });

    test('a policy edit applied with kubectl reaches a waiting bundle long-poll', async () => {
      const first = await callOperator(`${gate.operatorUrl}/v1/bundle`, { ...gate, token });
      const etag = String(first.headers['etag']);
      const waiting = callOperator(`${gate.operatorUrl}/v1/bundle?wait=30s`, {
        ...gate,
        token,
        headers: { 'if-none-match': etag },
      });
      const patch = {
        spec: {
          masking: { rules: [{ classification: 'email', strategy: 'redact' }] },
          approval: { rules: [{ classes: ['delete'] }], approvers: { users: [STEWARD_USER] } },
        },
      };
      await world().cluster.kubectl.ok([
        'patch',
        'accesspolicy',
        'orders-app',
        '-n',
        APP_NS,
        '--type=merge',
        '-p',
        JSON.stringify(patch),
      ]);
      const changed = await waiting;
      expect(changed.status).toBe(200);
      expect(changed.headers['etag']).not.toBe(etag);
      expect(JSON.stringify(changed.body)).toContain(STEWARD_USER);
    }, 45_000);

    test('an approval the gate files is decided with kubectl portcullis approve', async () => {
      const ask = {
        policy: 'orders-app',
        dataSource: 'orders',
        identity: `system:serviceaccount:${APP_NS}:${APP_SA}`,
        session: 'e2e-session-1',
        reason: 'DELETE needs a data steward',
        operation: {
          kind: 'statement',
          statement: 'DELETE FROM customers WHERE id = 1',
          classes: ['delete'],
        },
      };
      const created = await callOperator(`${gate.operatorUrl}/v1/approvals`, {
        ...gate,
        token,
        method: 'POST',
        body: ask,
      });
      expect(created.status).toBe(201);
      const name = (created.body as { name?: string }).name ?? '';
      expect(name).toMatch(/^orders-app-/);

      const decision = callOperator(`${gate.operatorUrl}/v1/approvals/${name}?wait=30s`, {
        ...gate,
        token,
      });
      const listed = await steward().ok(['portcullis', 'list', '-n', APP_NS]);
      expect(listed).toContain(name);
      const approved = await steward().run([
        'portcullis',
        'approve',
        name,
        '-n',
        APP_NS,
        '--comment',
        'checked',
      ]);
      expect(approved.stderr).toBe('');
      expect(approved.code).toBe(0);

      const answer = await decision;
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ phase: 'Approved' });
      const stored = await world().cluster.api.get(
        `/apis/portcullis.dev/v1alpha1/namespaces/${APP_NS}/accessrequests/${name}`,
      );
      expect(stored.spec?.['decision']).toMatchObject({ decidedBy: STEWARD_USER });
    }, 45_000);
  });
}
