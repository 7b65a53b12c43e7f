import { mkdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { freePort, type MinterCredential, type PostgresServer } from '@portcullis/testkit';
import { stringify } from 'yaml';
import type { Cluster } from '../cluster.js';
import { Kubectl } from '../kubectl.js';
import { writeKubeconfig } from '../kubeconfig.js';
import { ensureNamespace } from '../namespaces.js';
import { repoPath } from '../paths.js';
import { requestToken } from '../service-account-token.js';
import { waitFor } from '../wait-for.js';
import {
  accessPolicy,
  dataSourceObjects,
  DEMO,
  identities,
  list,
  STEWARD_USER,
} from './demo-objects.js';
import { output, say } from './terminal.js';

/** What later steps need from the shop namespace. */
export interface Shop {
  /** kubectl as the data steward, with the kubectl-portcullis plugin on its PATH. */
  steward: Kubectl;
  /** PATH with kubectl, the plugin and Node 24 first: what the printed commands assume. */
  path: string;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

async function waitReady(cluster: Cluster, resource: string, name: string): Promise<void> {
  const path = `/apis/portcullis.dev/v1alpha1/namespaces/${DEMO.namespace}/${resource}/${name}`;
  let last: Condition | undefined;
  await waitFor(
    `${resource}/${name} Ready`,
    async () => {
      const found = await cluster.api.get(path);
      last = ((found.status?.['conditions'] ?? []) as Condition[]).find((c) => c.type === 'Ready');
      return last?.status === 'True' ? true : undefined;
    },
    60_000,
  ).catch((error: unknown) => {
    const why = last ? `${last.reason}: ${last.message}` : 'no Ready condition yet';
    throw new Error(`${resource}/${name} did not become Ready (${why})`, { cause: error });
  });
}

/** A folder with kubectl and kubectl-portcullis in it, first on the returned PATH. */
async function kubectlBin(cluster: Cluster, dir: string): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  await symlink(cluster.binaries.kubectl, join(bin, 'kubectl'));
  // kubectl runs plugins found on PATH as kubectl-NAME.
  await symlink(repoPath('operator/bin/kubectl-portcullis'), join(bin, 'kubectl-portcullis'));
  return [bin, dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(':');
}

/**
 * Creates the shop namespace: the app's and the steward's ServiceAccounts, the minter Secret,
 * the DataSource and the AccessPolicy; waits until the operator reports both Ready.
 */
export async function applyShop(
  cluster: Cluster,
  db: PostgresServer,
  minter: MinterCredential,
  approverClusterRole: string,
  dir: string,
): Promise<Shop> {
  await ensureNamespace(cluster.api, DEMO.namespace);
  say(`$ kubectl create namespace ${DEMO.namespace}`);
  say(`$ kubectl apply -f identities.yaml   # ServiceAccounts ${DEMO.app} and ${DEMO.steward},`);
  say(`                                      # ${DEMO.steward} bound to ${approverClusterRole}`);
  output(await cluster.kubectl.ok(['apply', '-f', '-'], list(identities(approverClusterRole))));

  const localPort = await freePort();
  const policy = accessPolicy();
  say('$ kubectl apply -f shop.yaml   # Secret, DataSource (classifies email, card_number), and:');
  say(stringify({ kind: policy.kind, metadata: policy.metadata, spec: policy.spec }).trimEnd());
  const objects = [...dataSourceObjects(db, minter, localPort), policy];
  output(await cluster.kubectl.ok(['apply', '-f', '-'], list(objects)));

  await waitReady(cluster, 'datasources', DEMO.dataSource);
  await waitReady(cluster, 'accesspolicies', DEMO.policy);
  say(`$ kubectl get datasources,accesspolicies -n ${DEMO.namespace}`);
  const args = ['get', 'datasources,accesspolicies', '-n', DEMO.namespace];
  output(await cluster.kubectl.ok(args));

  const kubeconfig = join(dir, 'steward.kubeconfig');
  await writeKubeconfig(kubeconfig, {
    server: cluster.api.server,
    caFile: cluster.caFile ?? '',
    token: await requestToken(cluster.api, DEMO.namespace, DEMO.steward),
    user: STEWARD_USER,
  });
  const path = await kubectlBin(cluster, dir);
  const steward = new Kubectl(cluster.binaries.kubectl, kubeconfig, { ...process.env, PATH: path });
  return { steward, path };
}
