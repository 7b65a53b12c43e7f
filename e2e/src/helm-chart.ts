import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './kube-api.js';
import { runCommand, type CommandResult } from './kubectl.js';
import { repoPath } from './paths.js';

/** The chart in this repository. */
export const CHART_DIR = repoPath('charts/portcullis');

/** A `helm template` run: its exit, output, and the objects it rendered when it succeeded. */
export interface ChartRender extends CommandResult {
  objects: KubeObject[];
}

/** Options of renderChart. */
export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** `--set-json` pairs: path -> value. */
  values?: Record<string, unknown>;
  /** Extra helm arguments (e.g. --include-crds). */
  args?: string[];
}

/** Runs `helm template` on the chart; parses the rendered documents when it exits 0. */
export async function renderChart(helm: string, options: RenderOptions = {}): Promise<ChartRender> {
  const args = ['template', options.release ?? 'portcullis', CHART_DIR];
  args.push('--namespace', options.namespace ?? 'portcullis-system');
  for (const [path, value] of Object.entries(options.values ?? {})) {
    args.push('--set-json', `${path}=${JSON.stringify(value)}`);
  }
  args.push(...(options.args ?? []));

  const result = await runCommand(helm, args, { env: helmEnv() });
  if (result.code !== 0) return { ...result, objects: [] };
  const objects = parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
  return { ...result, objects };
}

/** `helm lint` of the chart. */
export function lintChart(helm: string): Promise<CommandResult> {
  return runCommand(helm, ['lint', '--strict', CHART_DIR], { env: helmEnv() });
}

/** The one object of kind (and name, if given) in a render; throws when absent or repeated. */
export function objectOf(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata?.name === name),
  );
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, rendered ${found.length}`);
  }
  return found[0]!;
}

// helm keeps caches and repository settings under HOME; point them at a throwaway place so a
// test run leaves nothing in the user's configuration.
function helmEnv(): NodeJS.ProcessEnv {
  const base = process.env.TMPDIR ?? '/tmp';
  return {
    ...process.env,
    HELM_CACHE_HOME: `${base}/portcullis-helm/cache`,
    HELM_CONFIG_HOME: `${base}/portcullis-helm/config`,
    HELM_DATA_HOME: `${base}/portcullis-helm/data`,
  };
}
