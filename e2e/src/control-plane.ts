import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort, onProcessExit, startProcess, type ManagedProcess } from '@portcullis/testkit';
import type { Binaries } from './binaries.js';
import { writeKubeconfig } from './kubeconfig.js';

const run = promisify(execFile);

/** The issuer of service-account tokens; the audience of tokens minted without one. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** How to reach a running control plane as its administrator. */
export interface ClusterConnection {
  /** https://127.0.0.1:PORT */
  server: string;
  /** CA file that verifies the API server's certificate. */
  caFile: string;
  /** Bearer token of a system:masters user. */
  token: string;
  /** Kubeconfig for that user (kubectl, helm). */
  kubeconfig: string;
}

// Every request at Metadata level (who, verb, resource, answer; no bodies): the suite reads
// which permissions the operator used.
const AUDIT_POLICY = 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n';

/** A local etcd + kube-apiserver; stop() ends both and removes their directory. */
export interface ControlPlane extends ClusterConnection {
  dir: string;
  /** JSON lines, one audit event per request (audit.k8s.io/v1 Event, Metadata level). */
  auditLog: string;
  stop(): Promise<void>;
}

/** Raised when etcd or kube-apiserver does not come up. */
export class ControlPlaneError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ControlPlaneError';
  }
}

/**
 * Starts etcd and kube-apiserver on free loopback ports in a fresh temporary directory: RBAC
 * authorization, a static admin token, a service-account issuer and signing key (so the
 * TokenRequest and TokenReview APIs work). No scheduler, controller manager or kubelet: pods
 * stay objects. Flags and their pitfalls: e2e/scripts/README.md.
 */
export async function startControlPlane(binaries: Binaries): Promise<ControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-cp-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  const unregisterDir = onProcessExit(removeDir);
  const started: ManagedProcess[] = [];
  const stopAll = async (): Promise<void> => {
    // The API server first: without etcd it ignores SIGTERM for minutes while retrying.
    for (const process of started.reverse()) await process.stop('SIGTERM', 5_000);
    stopWatchdog();
    unregisterDir();
    removeDir();
  };
  let stopWatchdog: () => void = () => undefined;

  try {
    const etcd = await startEtcd(binaries.etcd, dir);
    started.push(etcd.process);
    const api = await startApiserver(binaries.kubeApiserver, dir, etcd.url);
    started.push(api.process);
    stopWatchdog = startWatchdog(
      started.map((p) => p.pid ?? 0),
      dir,
    );
    await waitReady(api.connection, api.process);
    return { ...api.connection, dir, auditLog: join(dir, 'audit.log'), stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function startEtcd(
  etcd: string,
  dir: string,
): Promise<{ url: string; process: ManagedProcess }> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  // etcd reads every ETCD_<FLAG> variable as a flag: give it an environment without them.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('ETCD_')),
  );
  const child = startProcess({
    command: etcd,
    env,
    args: [
      '--name=e2e',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=e2e=${peer}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
  });

  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.hasExited) break;
    const healthy = await fetch(`${url}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return { url, process: child };
    await sleep(100);
  }
  await child.stop('SIGKILL');
  throw new ControlPlaneError(`etcd did not become healthy:\n${child.tail()}`);
}

async function startApiserver(
  apiserver: string,
  dir: string,
  etcdUrl: string,
): Promise<{ connection: ClusterConnection; process: ManagedProcess }> {
  const certDir = join(dir, 'certs');
  const keyFile = join(dir, 'sa.key');
  const tokensFile = join(dir, 'tokens.csv');
  const auditPolicy = join(dir, 'audit-policy.yaml');
  await writeFile(auditPolicy, AUDIT_POLICY);
  const token = randomBytes(24).toString('base64url');
  await mkdir(certDir, { mode: 0o700 });
  await run('openssl', ['genrsa', '-out', keyFile, '2048']);
  // token,user,uid,"group1,group2"
  await writeFile(tokensFile, `${token},portcullis-admin,portcullis-admin,system:masters\n`, {
    mode: 0o600,
  });

  const port = await freePort();
  const child = startProcess({
    command: apiserver,
    args: [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      // A loopback advertise address is refused unless no endpoint reconciler runs.
      '--advertise-address=127.0.0.1',
      '--endpoint-reconciler-type=none',
      `--cert-dir=${certDir}`,
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${keyFile}`,
      `--service-account-signing-key-file=${keyFile}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC',
      `--token-auth-file=${tokensFile}`,
      // No controller manager creates the default ServiceAccount of a namespace.
      '--disable-admission-plugins=ServiceAccount',
      `--audit-policy-file=${auditPolicy}`,
      `--audit-log-path=${join(dir, 'audit.log')}`,
      // Written as requests finish, so a test reads what happened up to now.
      '--audit-log-mode=blocking',
    ],
  });

  const server = `https://127.0.0.1:${port}`;
  const caFile = join(certDir, 'apiserver.crt');
  const kubeconfig = join(dir, 'admin.kubeconfig');
  return { connection: { server, caFile, token, kubeconfig }, process: child };
}

async function waitReady(connection: ClusterConnection, child: ManagedProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !existsSync(connection.caFile) && !child.hasExited) {
    await sleep(100);
  }
  let last = 'no answer yet';
  while (Date.now() < deadline && !child.hasExited) {
    try {
      const ca = await readFile(connection.caFile);
      const status = await getStatus(`${connection.server}/readyz`, ca, connection.token);
      if (status === 200) {
        await writeKubeconfig(connection.kubeconfig, connection);
        return;
      }
      last = `HTTP ${status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(200);
  }
  throw new ControlPlaneError(`kube-apiserver did not become ready (${last}):\n${child.tail()}`);
}

function getStatus(url: string, ca: Buffer, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(2_000, () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}

/**
 * A detached shell that outlives a SIGKILLed test runner: once the runner is gone it kills
 * the control plane and deletes its directory. Returns its stopper.
 */
function startWatchdog(pids: number[], dir: string): () => void {
  const script =
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done; ' +
    'kill -9 $2 2>/dev/null; sleep 1; rm -rf "$3"';
  const watchdog = spawn(
    'sh',
    ['-c', script, 'watchdog', String(process.pid), pids.filter((p) => p > 0).join(' '), dir],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  const unregister = onProcessExit(() => watchdog.kill('SIGKILL'));
  return () => {
    unregister();
    watchdog.kill('SIGKILL');
  };
}
