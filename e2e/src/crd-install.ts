import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Cluster } from './cluster.js';
import { repoPath } from './paths.js';
import { waitFor } from './wait-for.js';

/** The generated CRD manifests. */
export const CRD_DIR = repoPath('crds/manifests');

/** Names (plural.group) of the CRDs in crds/manifests. */
export async function crdNames(): Promise<string[]> {
  const files = (await readdir(CRD_DIR)).filter((f) => f.endsWith('.yaml')).sort();
  const names: string[] = [];
  for (const file of files) {
    const crd = parse(await readFile(join(CRD_DIR, file), 'utf8')) as {
      metadata: { name: string };
    };
    names.push(crd.metadata.name);
  }
  return names;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** Resolves when the CRD reports Established=True, with its conditions. */
export function waitEstablished(cluster: Cluster, name: string): Promise<Condition[]> {
  return waitFor(`CRD ${name} Established`, async () => {
    const crd = await cluster.api.get(
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
    );
    const conditions = (crd.status?.['conditions'] ?? []) as Condition[];
    const established = conditions.find((c) => c.type === 'Established');
    return established?.status === 'True' ? conditions : undefined;
  });
}
