import type { KubeApi, KubeObject } from './kube-api.js';

/** Options of requestToken. */
export interface TokenOptions {
  /** Audience of the token; the API server's own (its issuer) when left out. */
  audience?: string;
  /** Bind the token to this pod: it dies with the pod, and TokenReview names the pod. */
  pod?: KubeObject;
  expirationSeconds?: number;
}

/**
 * A ServiceAccount token from the TokenRequest API, as kubelet mints for a projected volume.
 * https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/
 */
export async function requestToken(
  api: KubeApi,
  namespace: string,
  account: string,
  options: TokenOptions = {},
): Promise<string> {
  const spec: Record<string, unknown> = { expirationSeconds: options.expirationSeconds ?? 3600 };
  if (options.audience !== undefined) spec['audiences'] = [options.audience];
  if (options.pod !== undefined) {
    const { name, uid } = options.pod.metadata ?? {};
    spec['boundObjectRef'] = { kind: 'Pod', apiVersion: 'v1', name, uid };
  }
  const answer = await api.create<{ status: { token: string } }>(
    `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec },
  );
  return answer.status.token;
}
