import { dirname } from 'node:path';
import { freePort } from '@portcullis/testkit';
import type { Cluster } from '../cluster.js';
import type { KubeObject } from '../kube-api.js';
import { repoPath } from '../paths.js';
import { specOf, type Container } from '../pods.js';
import { gateContainerOf, startSidecarFromPod, type SidecarProcess } from '../sidecar-from-pod.js';
import { appPod, DEMO, list } from './demo-objects.js';
import { logPrinter } from './gate-log.js';
import { say } from './terminal.js';

// The sidecar image has portcullis-sidecar and Node 24 on its PATH; here the repository's
// node_modules/.bin and the Node running the demo stand in for them.
const IMAGE_PATH = [
  repoPath('node_modules/.bin'),
  dirname(process.execPath),
  '/usr/bin',
  '/bin',
].join(':');

function envLine(container: Container): string {
  return (container.env ?? [])
    .map((e) => {
      if (e.value === undefined) return `${e.name} (${JSON.stringify(e.valueFrom)})`;
      if (e.value.startsWith('-----BEGIN'))
        return `${e.name} (a PEM CA bundle, ${e.value.length} bytes)`;
      return `${e.name}=${e.value}`;
    })
    .join('\n           ');
}

/** Creates the app's pod through the API server and prints what the webhook injected. */
export async function createInjectedPod(cluster: Cluster): Promise<KubeObject> {
  say(
    `$ kubectl apply -f ${DEMO.app}-pod.yaml   # labels app=${DEMO.app}, portcullis.dev/inject=true;`,
  );
  say(
    `                                     # one container, "app"; serviceAccountName ${DEMO.app}`,
  );
  const created = await cluster.kubectl.ok(['apply', '-f', '-'], list([appPod()]));
  say(created.trimEnd());
  const pod = await cluster.api.get(`/api/v1/namespaces/${DEMO.namespace}/pods/${DEMO.app}`);

  const gate = gateContainerOf(pod);
  const app = specOf(pod).containers.find((c) => c.name === 'app');
  const record = JSON.parse(pod.metadata?.annotations?.['portcullis.dev/injected'] ?? '{}') as {
    mode?: string;
    ports?: Record<string, number>;
    policies?: string[];
  };
  say(
    `$ kubectl get pod ${DEMO.app} -n ${DEMO.namespace} -o yaml   # what the webhook added, in short:`,
  );
  say(`  initContainers[0]: ${gate.name}   (native sidecar: restartPolicy ${gate.restartPolicy})`);
  say(`    command: ${JSON.stringify(gate.command)}`);
  say(`    args:    ${(gate.args ?? []).join(' ')}`);
  say(`    env:     ${envLine(gate)}`);
  say(
    `    mounts:  ${(gate.volumeMounts ?? []).map((m) => `${m.name} at ${m.mountPath}`).join(', ')}`,
  );
  say(`  containers[app] env: ${app ? envLine(app) : '(none)'}`);
  const { mode, ports, policies } = record;
  say(`  annotation portcullis.dev/injected: ${JSON.stringify({ mode, ports, policies })}`);
  return pod;
}

/** The app container's injected environment, as name -> value. */
export function appEnv(pod: KubeObject): Record<string, string> {
  const app = specOf(pod).containers.find((c) => c.name === 'app');
  return Object.fromEntries((app?.env ?? []).map((e) => [e.name, e.value ?? '']));
}

/**
 * Runs the pod's gate as a process the way kubelet would run the container (see
 * sidecar-from-pod.ts), printing its log, and waits until it serves.
 */
export async function startGate(
  cluster: Cluster,
  pod: KubeObject,
  dir: string,
  onStart: (gate: SidecarProcess) => void,
): Promise<SidecarProcess> {
  const gate = await startSidecarFromPod(cluster.api, pod, {
    dir,
    metricsPort: await freePort(),
    path: IMAGE_PATH,
    onOutput: logPrinter('gate'),
  });
  onStart(gate);
  const { launch } = gate;
  say(`kubelet would mount a TokenRequest token for ServiceAccount ${DEMO.app}, audience`);
  say(`portcullis.dev, bound to the pod; the demo asks the API server for the same and writes`);
  say(`it to ${gate.tokenFile}. The metrics port moves to loopback; portcullis-sidecar comes`);
  say('from the repository (node_modules/.bin) instead of the image.');
  const env = Object.keys(launch.env)
    .filter((name) => name !== 'PATH')
    .map((name) =>
      name === 'PORTCULLIS_OPERATOR_CA' ? `${name}="$CA"` : `${name}=${launch.env[name]}`,
    );
  say(`$ ${env.join(' ')} \\\n    ${launch.command} ${launch.args.join(' ')}`);
  await gate.process.waitForOutput(/"msg":"gate ready"/, 30_000);
  return gate;
}
