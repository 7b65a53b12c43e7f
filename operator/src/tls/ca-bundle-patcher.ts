import type { Logger } from 'pino';
import { isNotFound, PatchType, type KubeClient } from '../kube/rest-client.js';
import type { JsonPatchOp } from '../webhooks/json-patch.js';

const KINDS = ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'] as const;

interface WebhookConfiguration {
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
}

/**
 * Writes the CA bundle into every webhook of the Mutating and Validating
 * WebhookConfigurations of this name, so the API server trusts the operator's certificate.
 * Patches only entries that differ; a missing configuration is logged, not an error, since
 * the chart or the test harness may create it later.
 */
export async function patchCaBundles(
  client: Pick<KubeClient, 'request'>,
  configName: string,
  caPem: string,
  log: Logger,
): Promise<void> {
  const caBundle = Buffer.from(caPem).toString('base64');
  for (const kind of KINDS) {
    const path = `/apis/admissionregistration.k8s.io/v1/${kind}/${encodeURIComponent(configName)}`;
    let config: WebhookConfiguration;
    try {
      config = await client.request<WebhookConfiguration>(path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      log.warn({ kind, name: configName }, 'webhook configuration not found; caBundle not set');
      continue;
    }

    const patch: JsonPatchOp[] = (config.webhooks ?? []).flatMap((webhook, i) =>
      webhook.clientConfig?.caBundle === caBundle
        ? []
        : [{ op: 'add' as const, path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle }],
    );
    if (patch.length === 0) continue;
    await client.request(path, { method: 'PATCH', body: patch, contentType: PatchType.json });
    log.info({ kind, name: configName, webhooks: patch.length }, 'patched webhook caBundle');
  }
}
