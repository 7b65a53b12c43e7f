import type { Cluster } from './cluster.js';
import { objectOf, type ChartRender } from './helm-chart.js';
import type { KubeObject } from './kube-api.js';
import { writeKubeconfig } from './kubeconfig.js';
import { ensureNamespace } from './namespaces.js';
import { requestToken } from './service-account-token.js';

// Kinds of the render that give the operator its identity and permissions.
const IDENTITY_KINDS = [
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
];

/**
 * Creates the operator's namespace and applies the ServiceAccount and RBAC objects exactly as
 * the chart renders them; writes a kubeconfig holding a TokenRequest token of that
 * ServiceAccount, so the operator has the chart's permissions and nothing more.
 */
export async function installOperatorIdentity(
  cluster: Cluster,
  render: ChartRender,
  namespace: string,
  kubeconfigPath: string,
): Promise<void> {
  await ensureNamespace(cluster.api, namespace);
  const objects = render.objects.filter((o) => IDENTITY_KINDS.includes(o.kind ?? ''));
  const list = { apiVersion: 'v1', kind: 'List', items: objects };
  await cluster.kubectl.ok(['apply', '--server-side', '-f', '-'], JSON.stringify(list));

  const account = objectOf(render.objects, 'ServiceAccount').metadata?.name ?? '';
  const token = await requestToken(cluster.api, namespace, account, { expirationSeconds: 7200 });
  await writeKubeconfig(kubeconfigPath, {
    server: cluster.api.server,
    caFile: caFileOf(cluster),
    token,
    user: `system:serviceaccount:${namespace}:${account}`,
  });
}

function caFileOf(cluster: Cluster): string {
  if (cluster.caFile === undefined) {
    throw new Error('the operator runs as a process only against a local control plane');
  }
  return cluster.caFile;
}

/**
 * The chart's webhook configurations pointed at an operator process on loopback: each
 * clientConfig.service becomes url https://127.0.0.1:PORT/PATH. Names, rules, selectors,
 * failure policies and timeouts stay as rendered.
 */
export function loopbackWebhooks(render: ChartRender, port: number): KubeObject[] {
  return ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'].map((kind) => {
    const config = structuredClone(objectOf(render.objects, kind));
    const hooks = config['webhooks'] as { clientConfig: Record<string, unknown> }[];
    for (const hook of hooks) {
      const service = hook.clientConfig['service'] as { path?: string };
      hook.clientConfig = { url: `https://127.0.0.1:${port}${service.path ?? '/'}` };
    }
    return config;
  });
}

/**
 * The operator container's args from the rendered Deployment, with the downward-API
 * variables filled in and the flags in overrides replacing the rendered ones (or added).
 */
export function operatorArgs(
  render: ChartRender,
  env: Record<string, string>,
  overrides: Record<string, string | string[]>,
): string[] {
  const deployment = objectOf(render.objects, 'Deployment');
  const template = (
    deployment.spec as { template: { spec: { containers: { args?: string[] }[] } } }
  ).template;
  const rendered = template.spec.containers[0]?.args ?? [];
  const args = rendered
    .map((arg) => arg.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => env[name] ?? `$(${name})`))
    .filter((arg) => !Object.keys(overrides).includes(/^--([^=]+)/.exec(arg)?.[1] ?? ''));
  for (const [flag, value] of Object.entries(overrides)) {
    for (const one of Array.isArray(value) ? value : [value]) args.push(`--${flag}=${one}`);
  }
  return args;
}
