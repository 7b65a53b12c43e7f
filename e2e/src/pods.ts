import type { KubeApi, KubeObject } from './kube-api.js';

/** A container as the suite reads it. */
export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  restartPolicy?: string;
  volumeMounts?: { name: string; mountPath: string }[];
  [field: string]: unknown;
}

/** The parts of a pod spec the suite reads. */
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; [field: string]: unknown }[];
  hostNetwork?: boolean;
  serviceAccountName?: string;
}

/** A pod manifest with one app container; labels decide whether it asks for the gate. */
export function podManifest(
  namespace: string,
  name: string,
  options: { labels?: Record<string, string>; serviceAccount?: string; hostNetwork?: boolean },
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: options.labels ?? {} },
    spec: {
      serviceAccountName: options.serviceAccount ?? 'default',
      ...(options.hostNetwork ? { hostNetwork: true } : {}),
      containers: [{ name: 'app', image: 'registry.example/app:1' }],
    },
  };
}

/** Creates the pod through the API server (and so its admission webhooks). */
export function createPod(api: KubeApi, pod: KubeObject): Promise<KubeObject> {
  return api.create(`/api/v1/namespaces/${pod.metadata?.namespace}/pods`, pod);
}

/** The spec of a pod returned by the API server. */
export function specOf(pod: KubeObject): PodSpec {
  return pod.spec as unknown as PodSpec;
}
