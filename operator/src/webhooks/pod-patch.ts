import type { V1Pod } from '@kubernetes/client-node';
import { assignLocalPorts, type AccessPolicy, type DataSource } from '@portcullis/crds';
import {
  CLIENT_TLS_VOLUME,
  INJECTED_ANNOTATION,
  SCRATCH_VOLUME,
  SIDECAR_CONTAINER,
  TOKEN_AUDIENCE,
  TOKEN_VOLUME,
} from './injection-names.js';
import { addAppEnv, appEnvVars, envTargets } from './app-env.js';
import { clientTlsSecretFor } from './client-tls-secret.js';
import { gateContainer, gateVolumes } from './gate-container.js';
import { injectedGateProblem, podIdentity } from './injected-gate-check.js';
import { escapePointerToken, type JsonPatchOp } from './json-patch.js';
import { sidecarSettingsFor, type SidecarSettings } from './sidecar-settings.js';
import { podRequestsGateToken } from './pod-tokens.js';
import { reinvocationPatch } from './reinvocation-patch.js';

/** How the operator injects its sidecar; from flags and Helm values. */
export interface PodPatchConfig {
  /** Image of the gate. */
  image: string;
  /** Replaces the image's entrypoint (the e2e suite runs the sidecar as a process). */
  command?: string[];
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** URL the sidecar fetches its policy bundle from, e.g. https://portcullis.ns.svc:443. */
  operatorUrl: string;
  /** PEM CA that signed the operator's serving certificate, handed to the sidecar in env. */
  operatorCaPem?: string;
  /** Native sidecar (init container, restartPolicy Always) when the API server has them. */
  nativeSidecars: boolean;
  /** Port of the sidecar's /healthz, /readyz and /metrics; the probes call it on the pod IP. */
  healthPort: number;
  /**
   * The gate's `--record` argument: `-` records sessions to stdout, into the pod's log (the
   * gate's own log then goes to stderr); absent, sessions are not recorded.
   */
  record?: string;
  /** First loopback port for DataSources without localPort (default 5432). */
  firstPort?: number;
  /** Lifetime of the projected token; kubelet refreshes it at 80% of this. */
  tokenExpirationSeconds: number;
  /** UID and GID the sidecar runs as. */
  runAsUser: number;
  /** Defaults that pod annotations may override. */
  sidecar: SidecarSettings;
  /** Namespaces never injected: kube-system and the operator's own, at least. */
  excludedNamespaces: string[];
  /** Fallback mode only: command run as postStart, returning once the gate is ready. */
  postStartWaitCommand?: string[];
}

/** What the injection added, stored as JSON in the `portcullis.dev/injected` annotation. */
export interface InjectionRecord {
  version: 1;
  mode: 'native-sidecar' | 'first-container';
  container: string;
  image: string;
  volumes: string[];
  /** Env var names added, by container name. */
  env: Record<string, string[]>;
  /** Loopback port of each DataSource. */
  ports: Record<string, number>;
  policies: string[];
}

export interface PodPatchInput {
  pod: V1Pod;
  /** The namespace of the admission request; a new pod's metadata may not carry it yet. */
  namespace: string;
  /** The valid, ready AccessPolicies whose workloadSelector selects the pod. */
  policies: readonly AccessPolicy[];
  /** The DataSources those policies refer to. */
  dataSources: readonly DataSource[];
  config: PodPatchConfig;
}

export type PodPatchResult =
  /** The injection, or (for a pod already injected) the env for containers added since. */
  | { patch: JsonPatchOp[]; record: InjectionRecord }
  /** Nothing to do: injected with every container set up, or a never-injected namespace. */
  | { patch: []; skipped: string }
  /** The pod must not be admitted; the reason is shown to whoever created it. */
  | { refuse: string };

// Whatever the configuration says: a broken gate must never stop the cluster's own pods.
const ALWAYS_EXCLUDED = ['kube-system'];

/** Is this a namespace whose pods are never injected? */
export function isExcludedNamespace(namespace: string, config: PodPatchConfig): boolean {
  return ALWAYS_EXCLUDED.includes(namespace) || config.excludedNamespaces.includes(namespace);
}

/**
 * The JSON patch that injects the gate into one pod, or why it must not be. Pure: the same
 * pod, policies, DataSources and configuration always give the same answer.
 */
export function buildPodPatch(input: PodPatchInput): PodPatchResult {
  const { pod, namespace, config } = input;
  const spec = pod.spec;
  if (isExcludedNamespace(namespace, config)) {
    return { patch: [], skipped: `namespace ${namespace} is never injected` };
  }
  if (pod.metadata?.annotations?.[INJECTED_ANNOTATION] !== undefined) {
    // A reinvocation sees its own gate; a pod made to look injected is refused.
    const problem = injectedGateProblem(pod, namespace, config);
    if (problem !== undefined) {
      return { refuse: `the pod carries the ${INJECTED_ANNOTATION} annotation, but ${problem}` };
    }
    return reinvocationPatch(input);
  }
  if (spec === undefined) return { refuse: 'the pod has no spec' };

  const unsafe = unsafePodReason(pod);
  if (unsafe !== undefined) return { refuse: unsafe };
  if (input.policies.length === 0) {
    return {
      refuse:
        `the pod asks for the Portcullis gate, but no AccessPolicy in namespace ${namespace} ` +
        'selects its labels',
    };
  }

  const dataSources = referencedDataSources(input);
  if ('problem' in dataSources) return { refuse: dataSources.problem };
  const assigned = assignLocalPorts(dataSources.list, config.firstPort);
  if ('problem' in assigned) return { refuse: assigned.problem };
  const clash = portClash(pod, assigned.ports);
  if (clash !== undefined) return { refuse: clash };
  const settings = sidecarSettingsFor(config.sidecar, pod.metadata?.annotations);
  if ('problem' in settings) return { refuse: settings.problem };
  const tls = clientTlsSecretFor(pod.metadata?.annotations);
  if ('problem' in tls) return { refuse: tls.problem };

  // Env ops come first: they address containers by index, and inserting the gate shifts them.
  const primary = primaryDataSource(dataSources.list, assigned.ports);
  const patch: JsonPatchOp[] = [];
  const targets = envTargets(spec, config.nativeSidecars);
  const vars = appEnvVars(primary.database, primary.port, tls.secret !== undefined);
  const env = addAppEnv(patch, targets, vars);

  const identity = podIdentity(pod, namespace);
  const gate = gateContainer(config, settings.settings, identity, tls.secret);
  if (config.nativeSidecars) {
    patch.push(insertFirst('/spec/initContainers', spec.initContainers, gate));
  } else {
    patch.push(insertFirst('/spec/containers', spec.containers, gate));
  }
  const volumes = gateVolumes(config, tls.secret);
  if (spec.volumes === undefined) {
    patch.push({ op: 'add', path: '/spec/volumes', value: volumes });
  } else {
    for (const volume of volumes) patch.push({ op: 'add', path: '/spec/volumes/-', value: volume });
  }

  const record: InjectionRecord = {
    version: 1,
    mode: config.nativeSidecars ? 'native-sidecar' : 'first-container',
    container: SIDECAR_CONTAINER,
    image: config.image,
    volumes: volumes.map((v) => v.name),
    env,
    ports: Object.fromEntries([...assigned.ports].sort(([a], [b]) => a.localeCompare(b))),
    policies: input.policies.map((p) => p.metadata.name).sort(),
  };
  patch.push(annotationOp(pod, INJECTED_ANNOTATION, JSON.stringify(record)));
  return { patch, record };
}

/** Why the gate cannot protect its memory or its loopback port in this pod, if it cannot. */
function unsafePodReason(pod: V1Pod): string | undefined {
  const spec = pod.spec!;
  if (spec.hostNetwork === true) {
    return (
      "the pod uses hostNetwork: the gate listens on loopback, which would be the node's " +
      'loopback, reachable by every process on the node'
    );
  }
  if (spec.shareProcessNamespace === true) {
    return (
      "the pod sets shareProcessNamespace: another container could read the gate's memory, " +
      'which holds the database minter credential'
    );
  }
  if (spec.hostPID === true) {
    return (
      'the pod uses hostPID: processes on the node could inspect the gate, which holds the ' +
      'database minter credential'
    );
  }
  const containers = [...(spec.initContainers ?? []), ...spec.containers];
  if (containers.some((c) => c.name === SIDECAR_CONTAINER)) {
    return `the pod already has a container named ${SIDECAR_CONTAINER}`;
  }
  const ours = [TOKEN_VOLUME, SCRATCH_VOLUME, CLIENT_TLS_VOLUME];
  const taken = (spec.volumes ?? []).find((v) => ours.includes(v.name));
  if (taken !== undefined) return `the pod already has a volume named ${taken.name}`;
  if (podRequestsGateToken(pod)) {
    return (
      `the pod requests a service-account token for audience ${TOKEN_AUDIENCE} itself; only ` +
      'the injected gate may hold one, since it fetches the database minter credential'
    );
  }
  return undefined;
}

function referencedDataSources(input: PodPatchInput): { list: DataSource[] } | { problem: string } {
  const byName = new Map(input.dataSources.map((ds) => [ds.metadata.name, ds]));
  const list = new Map<string, DataSource>();
  for (const policy of input.policies) {
    const name = policy.spec.dataSourceRef.name;
    const ds = byName.get(name);
    if (ds === undefined) {
      return {
        problem: `AccessPolicy ${policy.metadata.name} refers to DataSource ${name}, which does not exist`,
      };
    }
    list.set(name, ds);
  }
  return { list: [...list.values()] };
}

function portClash(pod: V1Pod, ports: Map<string, number>): string | undefined {
  const containers = [...(pod.spec!.initContainers ?? []), ...pod.spec!.containers];
  for (const container of containers) {
    for (const declared of container.ports ?? []) {
      const ds = [...ports].find(([, port]) => port === declared.containerPort)?.[0];
      if (ds === undefined) continue;
      return (
        `container ${container.name} declares port ${declared.containerPort}, which the gate ` +
        `needs for DataSource ${ds}; set spec.localPort on the DataSource to another port`
      );
    }
  }
  return undefined;
}

/** The DataSource the plain PG* env vars point at: the one on the lowest port. */
function primaryDataSource(list: DataSource[], ports: Map<string, number>) {
  const [first] = list
    .map((ds) => ({ database: ds.spec.database, port: ports.get(ds.metadata.name)! }))
    .sort((a, b) => a.port - b.port);
  return first!;
}

function insertFirst(path: string, list: unknown[] | undefined, value: unknown): JsonPatchOp {
  if (list === undefined) return { op: 'add', path, value: [value] };
  return { op: 'add', path: `${path}/0`, value };
}

function annotationOp(pod: V1Pod, key: string, value: string): JsonPatchOp {
  if (pod.metadata?.annotations === undefined) {
    return { op: 'add', path: '/metadata/annotations', value: { [key]: value } };
  }
  return { op: 'add', path: `/metadata/annotations/${escapePointerToken(key)}`, value };
}
