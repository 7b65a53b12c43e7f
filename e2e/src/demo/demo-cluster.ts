/**
 * `make demo`: the whole system on this machine. A local kube-apiserver and etcd, PostgreSQL
 * with customers and orders, the CRDs, the operator as the Helm chart deploys it, a labelled
 * pod the API server hands to the operator's webhook, that pod's gate run as a process with
 * the injected configuration, and a psql session through it: a minted role, masked values,
 * a refused DROP, and a DELETE that waits until a data steward approves it with kubectl.
 * Everything it starts is stopped and removed at the end, on failure, and on Ctrl-C/SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMinterRole,
  loadSampleData,
  SAMPLE_ROLES,
  startPostgres,
  type ManagedProcess,
  type MinterCredential,
  type PostgresServer,
} from '@portcullis/testkit';
import { resolveBinaries } from '../binaries.js';
import { openCluster, type Cluster } from '../cluster.js';
import { CRD_DIR, crdNames, waitEstablished } from '../crd-install.js';
import type { OperatorProcess } from '../operator-process.js';
import { repoPath } from '../paths.js';
import { DEMO } from './demo-objects.js';
import { checkRoleDropped, runSession } from './demo-session.js';
import { createInjectedPod, startGate } from './injected-pod.js';
import { startOperatorAsCharted } from './operator-as-charted.js';
import { applyShop } from './shop-setup.js';
import { bold, output, say, step } from './terminal.js';

/** What the demo has started; cleanUp() stops it in reverse order. */
interface Started {
  dir?: string;
  cluster?: Cluster;
  db?: PostgresServer;
  operator?: OperatorProcess;
  gate?: ManagedProcess;
}

const started: Started = {};
let cleaning: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    step('cleaning up');
    await started.gate?.stop('SIGTERM', 10_000);
    await started.operator?.process.stop('SIGTERM', 5_000);
    await started.cluster?.stop();
    await started.db?.stop();
    if (started.dir) await rm(started.dir, { recursive: true, force: true });
    say(
      'stopped what the demo started (gate, operator, kube-apiserver, etcd, PostgreSQL); removed its files',
    );
  })();
  return cleaning;
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    say(`\n${signal}: stopping everything the demo started ...`);
    void cleanUp().finally(() => process.exit(code));
  });
}

async function startDatabase(): Promise<{ db: PostgresServer; minter: MinterCredential }> {
  const db = await startPostgres({ tls: true });
  started.db = db;
  await loadSampleData(db, DEMO.database);
  const minter = await createMinterRole(db, {
    grantableRoles: [SAMPLE_ROLES.reader, SAMPLE_ROLES.writer],
  });
  return { db, minter };
}

/** Runs the build script with its progress on our stderr: a first build is long. */
async function buildBinaries(): Promise<void> {
  const script = repoPath('e2e/scripts/control-plane-binaries.sh');
  const child = spawn('bash', [script, 'all'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${script} exited ${code} (its output is above)`);
}

async function main(): Promise<void> {
  const began = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-demo-'));
  started.dir = dir;

  step('Kubernetes control-plane binaries');
  say('kube-apiserver, etcd, kubectl and helm are built from their Go modules by');
  say('e2e/scripts/control-plane-binaries.sh. The FIRST build takes about 6 to 8 minutes and');
  say('needs Go; later runs take them from ~/.cache/portcullis at once.');
  await buildBinaries();
  const binaries = await resolveBinaries();
  say(`ready: ${binaries.kubeApiserver}`);

  step('a local control plane (etcd + kube-apiserver on loopback) and PostgreSQL');
  // The demo runs the operator and the gate as processes: it needs its own control plane.
  const env = { ...process.env, E2E_CLUSTER: 'local' };
  const [cluster, { db, minter }] = await Promise.all([
    openCluster(env).then((c) => (started.cluster = c)),
    startDatabase(),
  ]);
  say(`kube-apiserver on ${cluster.api.server}: RBAC, TokenRequest, TokenReview; no kubelet,`);
  say('so pods stay objects and the demo runs their gate as a process.');
  say(`PostgreSQL ${await db.majorVersion()} on 127.0.0.1:${db.port} (TLS) with a database`);
  say(`"${DEMO.database}" of customers and orders. Portcullis holds one credential for it: the`);
  say(`minter role "${minter.username}" (CREATEROLE, may grant app_reader and app_writer).`);

  step('the CRDs');
  say('$ kubectl apply -f crds/manifests/');
  output(await cluster.kubectl.ok(['apply', '-f', CRD_DIR]));
  for (const name of await crdNames()) await waitEstablished(cluster, name);

  step('the operator, as the Helm chart deploys it');
  const { approverClusterRole } = await startOperatorAsCharted(
    cluster,
    dir,
    (operator) => (started.operator = operator),
  );

  step(`the ${DEMO.namespace} namespace: a DataSource, its minter Secret, an AccessPolicy`);
  const shop = await applyShop(cluster, db, minter, approverClusterRole, dir);

  step('a labelled pod, created through the API server');
  const pod = await createInjectedPod(cluster);

  step('its gate, run as a process with the injected command, args and env');
  await startGate(cluster, pod, dir, (gate) => (started.gate = gate));

  step('psql through the gate, as the app container would connect');
  const role = await runSession(pod, shop);

  step('after the session');
  await checkRoleDropped(db, role);
  say(bold(`\ndemo done in ${Math.round((Date.now() - began) / 1000)} s`));
}

main()
  .catch((error: unknown) => {
    process.stderr.write(
      `\ndemo failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    const tail = started.operator?.process.tail(30);
    if (tail) process.stderr.write(`--- operator output (last lines) ---\n${tail}\n`);
    process.exitCode = 1;
  })
  .finally(() => cleanUp());
