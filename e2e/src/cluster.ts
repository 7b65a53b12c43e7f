import { resolveBinaries, resolveClientBinaries, type ClientBinaries } from './binaries.js';
import { startControlPlane } from './control-plane.js';
import { KubeApi } from './kube-api.js';
import { Kubectl } from './kubectl.js';

/** A cluster the suite runs against, with an administrator's clients. */
export interface Cluster {
  /** local: etcd + kube-apiserver started here; existing: KUBECONFIG (kind, for instance). */
  mode: 'local' | 'existing';
  kubeconfig: string;
  /** CA file of the API server (local mode only: the operator process needs it). */
  caFile?: string;
  /**
   * The local control plane's directory, removed with it (also by its watchdog when the
   * runner is killed): suites keep their own files in here.
   */
  dir?: string;
  /** The local API server's audit log (JSON lines), to see what a user actually did. */
  auditLog?: string;
  /** kubectl and helm: all a suite may run on any cluster. */
  binaries: ClientBinaries;
  api: KubeApi;
  kubectl: Kubectl;
  stop(): Promise<void>;
}

/** Raised when E2E_CLUSTER=existing is set without a kubeconfig. */
export class ClusterConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterConfigError';
  }
}

/**
 * The cluster for this run: with E2E_CLUSTER=existing the one KUBECONFIG names (left as it
 * is on stop), otherwise a fresh local control plane that stop() tears down.
 */
export async function openCluster(env = process.env): Promise<Cluster> {
  if (env.E2E_CLUSTER === 'existing') {
    const kubeconfig = env.KUBECONFIG;
    if (!kubeconfig) throw new ClusterConfigError('E2E_CLUSTER=existing needs KUBECONFIG');
    const binaries = await resolveClientBinaries(env);
    return {
      mode: 'existing',
      kubeconfig,
      binaries,
      api: KubeApi.fromFile(kubeconfig),
      kubectl: new Kubectl(binaries.kubectl, kubeconfig),
      stop: () => Promise.resolve(),
    };
  }

  const binaries = await resolveBinaries(env);
  const plane = await startControlPlane(binaries);
  return {
    mode: 'local',
    kubeconfig: plane.kubeconfig,
    caFile: plane.caFile,
    dir: plane.dir,
    auditLog: plane.auditLog,
    binaries,
    api: KubeApi.fromFile(plane.kubeconfig),
    kubectl: new Kubectl(binaries.kubectl, plane.kubeconfig),
    stop: () => plane.stop(),
  };
}

// kubectl's own warning for an object that was created by something other than `kubectl apply`
// (Helm installed the CRDs and the chart on a kind cluster): it says nothing about our files.
const NOT_APPLIED_BY_KUBECTL =
  /^Warning: resource .+ is missing the kubectl\.kubernetes\.io\/last-applied-configuration annotation/;

/**
 * The lines of a kubectl command's stderr that the suite must see empty: all of them, except
 * on an existing cluster the warning that an object came from Helm rather than kubectl apply.
 */
export function unexpectedStderr(cluster: Cluster, stderr: string): string[] {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  if (cluster.mode !== 'existing') return lines;
  return lines.filter((line) => !NOT_APPLIED_BY_KUBECTL.test(line));
}
