import { resolveBinaries, type Binaries } from './binaries.js';
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
  binaries: Binaries;
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
  const binaries = await resolveBinaries(env);
  if (env.E2E_CLUSTER === 'existing') {
    const kubeconfig = env.KUBECONFIG;
    if (!kubeconfig) throw new ClusterConfigError('E2E_CLUSTER=existing needs KUBECONFIG');
    return {
      mode: 'existing',
      kubeconfig,
      binaries,
      api: KubeApi.fromFile(kubeconfig),
      kubectl: new Kubectl(binaries.kubectl, kubeconfig),
      stop: () => Promise.resolve(),
    };
  }

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
