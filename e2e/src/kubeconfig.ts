import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

/** What a kubeconfig file for one cluster and one bearer-token user holds. */
export interface KubeconfigSpec {
  server: string;
  caFile: string;
  token: string;
  user?: string;
}

/** Writes a kubeconfig (mode 0600: it holds a token) with one context, made current. */
export async function writeKubeconfig(path: string, spec: KubeconfigSpec): Promise<void> {
  const user = spec.user ?? 'e2e';
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'e2e', cluster: { server: spec.server, 'certificate-authority': spec.caFile } },
    ],
    users: [{ name: user, user: { token: spec.token } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user, namespace: 'default' } }],
    'current-context': 'e2e',
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
}
