import { SIDECAR_ANNOTATION_PREFIX } from './injection-names.js';

/** Resources of the injected sidecar, as Kubernetes quantities. */
export interface SidecarResources {
  requests: { cpu: string; memory: string };
  limits: { cpu?: string; memory?: string };
}

/**
 * Modest defaults: the gate is a Node process relaying bytes, so 50m CPU and 64Mi are enough
 * at rest; the memory limit leaves room for the parser cache and buffered result rows. No CPU
 * limit by default, since throttling a proxy adds latency to every query.
 */
export const DEFAULT_SIDECAR_RESOURCES: SidecarResources = {
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { memory: '256Mi' },
};

/** Default sidecar settings: the resources above, and info logging. */
export const DEFAULT_SIDECAR_SETTINGS: SidecarSettings = {
  resources: DEFAULT_SIDECAR_RESOURCES,
  logLevel: 'info',
};

/** Lifetime of the projected token: kubelet renews it at 80%, so about every 48 minutes. */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What a pod may override with `portcullis.dev/sidecar-*` annotations. */
export interface SidecarSettings {
  resources: SidecarResources;
  logLevel: LogLevel;
}

// A Kubernetes resource quantity: a decimal number with an optional SI or binary suffix.
const QUANTITY_RE = /^\d+(\.\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

const SETTERS: Record<string, (s: SidecarSettings, value: string) => string | undefined> = {
  cpu: (s, v) => quantity(v, (q) => (s.resources.requests.cpu = q)),
  memory: (s, v) => quantity(v, (q) => (s.resources.requests.memory = q)),
  'cpu-limit': (s, v) => quantity(v, (q) => (s.resources.limits.cpu = q)),
  'memory-limit': (s, v) => quantity(v, (q) => (s.resources.limits.memory = q)),
  'log-level': (s, v) => {
    if (!(LOG_LEVELS as readonly string[]).includes(v))
      return `use one of ${LOG_LEVELS.join(', ')}`;
    s.logLevel = v as LogLevel;
    return undefined;
  },
};

function quantity(value: string, set: (q: string) => void): string | undefined {
  if (!QUANTITY_RE.test(value)) return 'must be a quantity such as 100m, 0.5, 128Mi or 1Gi';
  set(value);
  return undefined;
}

/**
 * Sets one setting by its name (`cpu`, `memory`, `cpu-limit`, `memory-limit`, `log-level`,
 * as in the pod annotations); returns what is wrong with the name or value, if anything.
 */
export function setSidecarSetting(
  settings: SidecarSettings,
  setting: string,
  value: string,
): string | undefined {
  const set = SETTERS[setting];
  if (set === undefined) return `unknown setting ${setting}`;
  return set(settings, value.trim());
}

/**
 * The sidecar's settings for one pod: the configured defaults, overridden by the pod's
 * `portcullis.dev/sidecar-cpu`, `-memory`, `-cpu-limit`, `-memory-limit` and `-log-level`
 * annotations. An unknown or malformed override is a problem, not silently ignored.
 */
export function sidecarSettingsFor(
  defaults: SidecarSettings,
  annotations: Record<string, string> | undefined,
): { settings: SidecarSettings } | { problem: string } {
  const settings = structuredClone(defaults);
  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(SIDECAR_ANNOTATION_PREFIX)) continue;

    const setting = key.slice(SIDECAR_ANNOTATION_PREFIX.length);
    const set = SETTERS[setting];
    if (set === undefined) {
      return { problem: `unknown annotation ${key}; known: ${Object.keys(SETTERS).join(', ')}` };
    }
    const problem = set(settings, value.trim());
    if (problem !== undefined) return { problem: `annotation ${key}="${value}": ${problem}` };
  }
  return { settings };
}
