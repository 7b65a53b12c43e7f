import { KubeApiError, type KubeApi } from './kube-api.js';

/**
 * Creates the namespace unless it exists. Namespaces are never deleted by the suite: without
 * a controller manager a deleted namespace stays Terminating forever.
 */
export async function ensureNamespace(api: KubeApi, name: string): Promise<void> {
  try {
    await api.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
  } catch (error) {
    if (!(error instanceof KubeApiError && error.status === 409)) throw error;
  }
}
