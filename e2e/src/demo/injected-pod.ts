import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, startProcess, type ManagedProcess } from '@portcullis/testkit';
import type { Cluster } from '../cluster.js';
import { hostCommandFor } from '../injected-sidecar.js';
import type { KubeObject } from '../kube-api.js';
import { repoRoot } from '../paths.js';
import { specOf, type Container } from '../pods.js';
import { requestToken } from '../service-account-token.js';
import { appPod, DEMO, list } from './demo-objects.js';
import { logPrinter } from './gate-log.js';
import { say } from './terminal.js';

const GATE = 'portcullis-gate';
const OPERATOR_CA = 'PORTCULLIS_OPERATOR_CA';

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

  const gate = specOf(pod).initContainers?.find((c) => c.name === GATE);
  if (!gate) throw new Error(`the API server returned ${DEMO.app} without ${GATE}`);
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

/** The audience and lifetime of the projected token the webhook asked kubelet for. */
function projectedToken(pod: KubeObject): { audience?: string; expirationSeconds?: number } {
  const volume = specOf(pod).volumes?.find((v) => v.name === 'portcullis-token') as
    { projected?: { sources?: { serviceAccountToken?: TokenSource }[] } } | undefined;
  const source = volume?.projected?.sources?.find((s) => s.serviceAccountToken);
  if (!source?.serviceAccountToken) throw new Error('the pod has no projected portcullis token');
  return source.serviceAccountToken;
}

interface TokenSource {
  audience?: string;
  expirationSeconds?: number;
}

/**
 * Does what kubelet would do for the pod's gate container: mints its projected token with
 * the TokenRequest API (bound to the pod, with the injected audience), then runs the injected
 * command, args and env (injected-sidecar.ts), printing the gate's log, until it serves.
 * https://kubernetes.io/docs/concepts/storage/projected-volumes/
 */
export async function startGate(
  cluster: Cluster,
  pod: KubeObject,
  dir: string,
  onStart: (gate: ManagedProcess) => void,
): Promise<ManagedProcess> {
  const { audience, expirationSeconds } = projectedToken(pod);
  const token = await requestToken(cluster.api, DEMO.namespace, DEMO.app, {
    pod,
    ...(audience === undefined ? {} : { audience }),
    ...(expirationSeconds === undefined ? {} : { expirationSeconds }),
  });
  const tokenFile = join(dir, 'pod-token');
  await writeFile(tokenFile, token, { mode: 0o600 });
  const host = hostCommandFor(pod, { tokenFile, metricsPort: await freePort() });

  say(`kubelet would mount a TokenRequest token for ServiceAccount ${DEMO.app}, audience`);
  say(`${audience}, bound to the pod; the demo asks the API server for the same token and`);
  say(`writes it to ${tokenFile}.`);
  say("The metrics port moves to loopback, and portcullis-sidecar is this repository's build:");
  const env = Object.keys(host.env)
    .filter((name) => name !== 'PATH')
    .map((name) => (name === OPERATOR_CA ? `${name}="$CA"` : `${name}=${host.env[name]}`));
  const command = [host.command, ...host.args]
    .map((word) => (word === process.execPath ? 'node' : word.replace(`${repoRoot}/`, '')))
    .join(' ');
  say(`$ ${env.join(' ')} \\\n    ${command}`);

  const gate = startProcess({
    command: host.command,
    args: host.args,
    env: host.env,
    onOutput: logPrinter('gate'),
  });
  onStart(gate);
  await gate.waitForOutput(/"msg":"gate ready"/, 30_000);
  return gate;
}
