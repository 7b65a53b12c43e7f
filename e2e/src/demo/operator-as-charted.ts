import { join } from 'node:path';
import { freePort } from '@portcullis/testkit';
import type { Cluster } from '../cluster.js';
import { objectOf, renderChart } from '../helm-chart.js';
import { installOperatorIdentity, loopbackWebhooks, operatorArgs } from '../operator-install.js';
import { startOperator, type OperatorProcess } from '../operator-process.js';
import { waitFor } from '../wait-for.js';
import { say } from './terminal.js';

/** The operator's namespace, as the chart's README installs it. */
export const OPERATOR_NS = 'portcullis-system';

/** The running operator and the name of the chart's approver ClusterRole. */
export interface ChartedOperator {
  operator: OperatorProcess;
  approverClusterRole: string;
}

/**
 * Renders the chart, applies its ServiceAccount and RBAC, registers its webhooks with a
 * loopback URL, and starts the operator with the rendered args under that ServiceAccount's
 * token. Only ports, addresses and the kubeconfig differ from the chart. Calls onStart as
 * soon as the process exists, so a failure later still stops it.
 */
export async function startOperatorAsCharted(
  cluster: Cluster,
  dir: string,
  onStart: (operator: OperatorProcess) => void,
): Promise<ChartedOperator> {
  const render = await renderChart(cluster.binaries.helm, { namespace: OPERATOR_NS });
  if (render.code !== 0) throw new Error(`helm template failed: ${render.stderr}`);
  const kubeconfig = join(dir, 'operator.kubeconfig');
  await installOperatorIdentity(cluster, render, OPERATOR_NS, kubeconfig);
  const account = objectOf(render.objects, 'ServiceAccount').metadata?.name ?? '';
  say(`$ helm template portcullis charts/portcullis -n ${OPERATOR_NS}`);
  say(`applied its ServiceAccount ${account}, ClusterRoles and bindings;`);

  const httpsPort = await freePort();
  const webhooks = loopbackWebhooks(render, httpsPort);
  for (const config of webhooks) {
    await cluster.kubectl.ok(['apply', '--server-side', '-f', '-'], JSON.stringify(config));
  }
  say(
    `its webhook configurations, pointed at https://127.0.0.1:${httpsPort} instead of a Service.`,
  );

  const identity = 'portcullis-operator-demo';
  const metricsPort = await freePort();
  const args = operatorArgs(
    render,
    { POD_NAMESPACE: OPERATOR_NS, POD_NAME: identity },
    {
      kubeconfig,
      'https-port': String(httpsPort),
      'metrics-port': String(metricsPort),
      'extra-san': '127.0.0.1',
      'bundle-url': `https://127.0.0.1:${httpsPort}`,
    },
  );
  say(`$ portcullis-operator ${args.filter((a) => !a.startsWith('--kubeconfig')).join(' ')}`);
  const operator = startOperator({ args, identity, httpsPort, metricsPort });
  onStart(operator);
  await operator.ready();

  // The leader writes its CA into every webhook; until then the API server cannot call them.
  for (const config of webhooks) {
    const path = `/apis/admissionregistration.k8s.io/v1/${config.kind?.toLowerCase()}s/${config.metadata?.name}`;
    await waitFor(`caBundle in ${config.kind}`, async () => {
      const found = await cluster.api.get<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(
        path,
      );
      return found.webhooks.every((w) => w.clientConfig.caBundle) ? true : undefined;
    });
  }
  say('the operator is ready: it leads, and its CA is in every webhook configuration.');

  const approverClusterRole = render.objects.find(
    (o) => o.kind === 'ClusterRole' && o.metadata?.name?.endsWith('-approver'),
  )?.metadata?.name;
  if (approverClusterRole === undefined) throw new Error('the chart renders no approver role');
  return { operator, approverClusterRole };
}
