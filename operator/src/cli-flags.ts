import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { FIRST_GATE_PORT } from '@portcullis/crds';
import {
  DEFAULT_SIDECAR_SETTINGS,
  setSidecarSetting,
  type SidecarSettings,
} from './webhooks/sidecar-settings.js';

export const CERT_MODES = ['self', 'cert-manager', 'files'] as const;
export type CertMode = (typeof CERT_MODES)[number];

/** The operator's settings, from flags, each also readable from PORTCULLIS_<UPPER_SNAKE>. */
export interface OperatorFlags {
  kubeconfig: string | undefined;
  namespace: string;
  httpsPort: number;
  metricsPort: number;
  serviceName: string;
  extraSans: string[];
  tlsSecret: string;
  certMode: CertMode;
  tlsCertFile: string;
  tlsKeyFile: string;
  tlsCaFile: string | undefined;
  webhookConfig: string;
  leaseName: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  sidecarImage: string;
  sidecarCommand: string[] | undefined;
  sidecarHealthPort: number;
  sidecarRunAsUser: number;
  /** Resources and log level of the injected gate; pod annotations override them per pod. */
  sidecar: SidecarSettings;
  /** First loopback port the gate gives a DataSource without spec.localPort. */
  sidecarFirstPort: number;
  /** The gate's --record: `-` for stdout (the pod's log); undefined records nothing. */
  sidecarRecord: string | undefined;
  nativeSidecars: 'auto' | 'true' | 'false';
  excludedNamespaces: string[];
  bundleUrl: string;
  resyncSeconds: number;
  reapGraceSeconds: number;
  logLevel: string;
}

/** A flag or environment variable with a value the operator cannot use. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

// Flag name -> [type, default]. Repeatable flags take a comma-separated list from env.
const SPEC = {
  kubeconfig: ['string', undefined],
  namespace: ['string', undefined],
  'https-port': ['number', '8443'],
  'metrics-port': ['number', '9090'],
  'service-name': ['string', 'portcullis-operator'],
  'extra-san': ['list', undefined],
  'tls-secret': ['string', 'portcullis-operator-tls'],
  'cert-mode': ['string', 'self'],
  'tls-cert-file': ['string', '/etc/portcullis/tls/tls.crt'],
  'tls-key-file': ['string', '/etc/portcullis/tls/tls.key'],
  'tls-ca-file': ['string', undefined],
  'webhook-config': ['string', 'portcullis'],
  'lease-name': ['string', 'portcullis-operator'],
  identity: ['string', undefined],
  'lease-duration-seconds': ['number', '15'],
  'renew-deadline-seconds': ['number', '10'],
  'retry-period-seconds': ['number', '2'],
  'sidecar-image': ['string', 'ghcr.io/portcullis/sidecar:latest'],
  'sidecar-command': ['list', undefined],
  'sidecar-health-port': ['number', '9464'],
  'sidecar-run-as-user': ['number', '65532'],
  'sidecar-log-level': ['string', DEFAULT_SIDECAR_SETTINGS.logLevel],
  'sidecar-first-port': ['number', String(FIRST_GATE_PORT)],
  // The pod's log; empty records nothing.
  'sidecar-record': ['string', '-'],
  'sidecar-cpu-request': ['string', DEFAULT_SIDECAR_SETTINGS.resources.requests.cpu],
  'sidecar-memory-request': ['string', DEFAULT_SIDECAR_SETTINGS.resources.requests.memory],
  // An empty limit means none.
  'sidecar-cpu-limit': ['string', DEFAULT_SIDECAR_SETTINGS.resources.limits.cpu ?? ''],
  'sidecar-memory-limit': ['string', DEFAULT_SIDECAR_SETTINGS.resources.limits.memory ?? ''],
  'native-sidecars': ['string', 'auto'],
  'excluded-namespace': ['list', undefined],
  'bundle-url': ['string', undefined],
  'resync-seconds': ['number', '60'],
  'reap-grace-seconds': ['number', '60'],
  'log-level': ['string', 'info'],
} as const satisfies Record<string, readonly ['string' | 'number' | 'list', string | undefined]>;

type FlagName = keyof typeof SPEC;

// Flags of the gate's defaults, by the name of the pod annotation that overrides each.
const SIDECAR_SETTING_FLAGS = [
  ['sidecar-cpu-request', 'cpu'],
  ['sidecar-memory-request', 'memory'],
  ['sidecar-cpu-limit', 'cpu-limit'],
  ['sidecar-memory-limit', 'memory-limit'],
  ['sidecar-log-level', 'log-level'],
] as const satisfies readonly (readonly [FlagName, string])[];

function envName(flag: string): string {
  return `PORTCULLIS_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/** One line per flag, for --help. */
export function usage(): string {
  const lines = Object.entries(SPEC).map(([flag, [type, fallback]]) => {
    const value = type === 'list' ? ' VALUE (repeatable)' : ` ${type.toUpperCase()}`;
    const def = fallback === undefined ? '' : ` (default ${fallback})`;
    return `  --${flag}${value}${def}  [env ${envName(flag)}]`;
  });
  return ['usage: portcullis-operator [flags]', ...lines].join('\n');
}

/**
 * Reads flags, then environment variables, then defaults. Repeatable flags (--extra-san,
 * --sidecar-command, --excluded-namespace) take one value per use; their environment
 * variables take a JSON array, or a comma-separated list.
 */
export function parseFlags(argv: string[], env: NodeJS.ProcessEnv): OperatorFlags {
  const options = Object.fromEntries(
    Object.entries(SPEC).map(([flag, [type]]) => [
      flag,
      { type: 'string' as const, multiple: type === 'list' },
    ]),
  );
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });

  const text = (flag: FlagName): string | undefined => {
    const given = values[flag];
    if (typeof given === 'string') return given;
    return env[envName(flag)] ?? SPEC[flag][1];
  };
  const list = (flag: FlagName): string[] | undefined => {
    const given = values[flag];
    if (Array.isArray(given)) return given.map(String);
    const fromEnv = env[envName(flag)];
    if (fromEnv === undefined || fromEnv === '') return undefined;
    if (fromEnv.trimStart().startsWith('[')) {
      const parsed: unknown = JSON.parse(fromEnv);
      if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) {
        throw new FlagError(`${envName(flag)} must be a JSON array of strings`);
      }
      return parsed;
    }
    return fromEnv
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  };
  const number = (flag: FlagName): number => {
    const raw = text(flag);
    const value = Number(raw);
    if (raw === undefined || !Number.isInteger(value) || value < 0) {
      throw new FlagError(`--${flag} must be a whole number, not ${JSON.stringify(raw)}`);
    }
    return value;
  };

  const namespace = text('namespace') ?? env.POD_NAMESPACE;
  if (namespace === undefined || namespace === '') {
    throw new FlagError('--namespace (or PORTCULLIS_NAMESPACE, or POD_NAMESPACE) is required');
  }
  const certMode = text('cert-mode') as CertMode;
  if (!CERT_MODES.includes(certMode)) {
    throw new FlagError(`--cert-mode must be one of ${CERT_MODES.join(', ')}`);
  }
  const nativeSidecars = text('native-sidecars');
  if (nativeSidecars !== 'auto' && nativeSidecars !== 'true' && nativeSidecars !== 'false') {
    throw new FlagError('--native-sidecars must be auto, true or false');
  }
  const serviceName = text('service-name')!;
  const sidecar: SidecarSettings = {
    resources: { requests: { cpu: '', memory: '' }, limits: {} },
    logLevel: DEFAULT_SIDECAR_SETTINGS.logLevel,
  };
  for (const [flag, setting] of SIDECAR_SETTING_FLAGS) {
    const value = text(flag) ?? '';
    if (value === '' && setting.endsWith('-limit')) continue;
    const problem = setSidecarSetting(sidecar, setting, value);
    if (problem !== undefined)
      throw new FlagError(`--${flag}=${JSON.stringify(value)}: ${problem}`);
  }
  const sidecarFirstPort = number('sidecar-first-port');
  if (sidecarFirstPort < 1 || sidecarFirstPort > 65535) {
    throw new FlagError(`--sidecar-first-port must be a port from 1 to 65535`);
  }

  return {
    kubeconfig: text('kubeconfig') ?? (env.KUBECONFIG || undefined),
    namespace,
    httpsPort: number('https-port'),
    metricsPort: number('metrics-port'),
    serviceName,
    extraSans: list('extra-san') ?? [],
    tlsSecret: text('tls-secret')!,
    certMode,
    tlsCertFile: text('tls-cert-file')!,
    tlsKeyFile: text('tls-key-file')!,
    tlsCaFile: text('tls-ca-file'),
    webhookConfig: text('webhook-config')!,
    leaseName: text('lease-name')!,
    identity: text('identity') ?? `${hostname()}-${process.pid}`,
    leaseDurationSeconds: number('lease-duration-seconds'),
    renewDeadlineSeconds: number('renew-deadline-seconds'),
    retryPeriodSeconds: number('retry-period-seconds'),
    sidecarImage: text('sidecar-image')!,
    sidecarCommand: list('sidecar-command'),
    sidecarHealthPort: number('sidecar-health-port'),
    sidecarRunAsUser: number('sidecar-run-as-user'),
    sidecar,
    sidecarFirstPort,
    sidecarRecord: text('sidecar-record') || undefined,
    nativeSidecars,
    excludedNamespaces: [
      ...new Set(['kube-system', namespace, ...(list('excluded-namespace') ?? [])]),
    ],
    bundleUrl: text('bundle-url') ?? `https://${serviceName}.${namespace}.svc:443`,
    resyncSeconds: number('resync-seconds'),
    reapGraceSeconds: number('reap-grace-seconds'),
    logLevel: text('log-level')!,
  };
}
