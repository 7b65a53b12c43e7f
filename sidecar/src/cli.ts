import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { defaultApprovalsDir } from './approvals/approvals-dir.js';
import { OperatorApprovalChannel } from './approvals/operator-channel.js';
import { sessionControls } from './approvals/session-controls.js';
import { standaloneControls, type StandaloneControls } from './approvals/standalone-controls.js';
import { parseWorkloadIdentity } from './identity/workload-identity.js';
import { createGateMetrics, type GateMetrics } from './observability/gate-metrics.js';
import { createLogger } from './observability/logger.js';
import { ObservabilityServer } from './observability/observability-server.js';
import { FilePolicySource } from './policy/file-source.js';
import { OperatorPolicySource } from './policy/operator-source.js';
import type { PolicySource } from './policy/policy-source.js';
import { RecordWriter } from './recording/record-writer.js';
import { Gate } from './session/gate.js';

const USAGE = `usage: portcullis-sidecar --policies DIR [options]
       portcullis-sidecar --operator-url URL --token-file FILE [options]

  --policies DIR             DataSource, AccessPolicy and Secret manifests (standalone mode)
  --operator-url URL         Kubernetes mode: long-poll this operator for the pod's policy
                             bundle and file approvals with it
  --token-file FILE          the pod's projected service-account token (Kubernetes mode)
  --ca-file FILE             CA bundle of the operator's certificate; default the PEM in
                             $PORTCULLIS_OPERATOR_CA, else the system's CAs
  --first-port N             first port tried for DataSources without localPort (5432)
  --listen HOST:PORT         listen here (one DataSource only); default 127.0.0.1 and a port
                             per DataSource: its localPort, else 5432 upward
  --identity SA              workload identity for callers without a token,
                             system:serviceaccount:NAMESPACE:NAME
  --client-tls-cert FILE     PEM certificate (leaf first) served to clients that send an
  --client-tls-key FILE      SSLRequest, and its PEM key; both or neither. Without them
                             SSLRequest is refused. Re-read when the files change
  --client-tls-required      refuse clients that do not use TLS (they need sslmode=require)
  --metrics-port N           serve /healthz, /readyz and /metrics on this port
  --metrics-host HOST        address of that port; default 127.0.0.1
  --log-level LEVEL          trace, debug, info (default), warn, error, fatal, silent
  --approvals-dir DIR        queue of operations held for approval, decided with
                             portcullis approvals; default $PORTCULLIS_APPROVALS_DIR, else
                             $XDG_STATE_HOME/portcullis/approvals
  --record FILE              append the session recording (JSON Lines) to FILE, or to stdout
                             with "-" (the log then goes to stderr); sessions are not
                             recorded without it
  --help                     print this text`;

/** Raised for a command line the gate cannot run with. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parsed command line of portcullis-sidecar. */
export interface SidecarArgs {
  /** Standalone mode's manifest directory; empty in Kubernetes mode. */
  policies: string;
  /** Kubernetes mode: the operator's URL and the pod's token file. */
  operator: { url: string; tokenFile: string; caFile: string | undefined } | undefined;
  firstPort: number | undefined;
  listen: { host: string; port: number } | undefined;
  identity: string | undefined;
  /** The certificate and key served to clients that ask for TLS. */
  clientTls: { certFile: string; keyFile: string; required: boolean } | undefined;
  metricsPort: number | undefined;
  metricsHost: string;
  logLevel: string;
  approvalsDir: string | undefined;
  record: string | undefined;
  help: boolean;
}

/** Parses argv (without node and the script); throws UsageError. */
export function parseSidecarArgs(argv: string[]): SidecarArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        policies: { type: 'string' },
        'operator-url': { type: 'string' },
        'token-file': { type: 'string' },
        'ca-file': { type: 'string' },
        'first-port': { type: 'string' },
        listen: { type: 'string' },
        identity: { type: 'string' },
        'client-tls-cert': { type: 'string' },
        'client-tls-key': { type: 'string' },
        'client-tls-required': { type: 'boolean', default: false },
        'metrics-port': { type: 'string' },
        'metrics-host': { type: 'string', default: '127.0.0.1' },
        'log-level': { type: 'string', default: 'info' },
        'approvals-dir': { type: 'string' },
        record: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    return { ...defaults(), help: true };
  }
  const operatorUrl = values['operator-url'];
  if ((values.policies === undefined) === (operatorUrl === undefined)) {
    throw new UsageError('give either --policies DIR or --operator-url URL');
  }
  if (operatorUrl !== undefined && values['token-file'] === undefined) {
    throw new UsageError('--operator-url needs --token-file FILE');
  }
  // A flag of the other mode would be ignored; say so rather than run without it.
  const strays =
    operatorUrl === undefined
      ? (['token-file', 'ca-file'] as const).filter((flag) => values[flag] !== undefined)
      : (['approvals-dir'] as const).filter((flag) => values[flag] !== undefined);
  if (strays.length > 0) {
    const mode = operatorUrl === undefined ? 'Kubernetes mode (--operator-url)' : 'standalone mode';
    throw new UsageError(`--${strays.join(', --')} only applies in ${mode}`);
  }

  return {
    policies: values.policies ?? '',
    operator:
      operatorUrl === undefined
        ? undefined
        : { url: operatorUrl, tokenFile: values['token-file']!, caFile: values['ca-file'] },
    firstPort: values['first-port'] === undefined ? undefined : parsePort(values['first-port']),
    listen: values.listen === undefined ? undefined : parseListen(values.listen),
    identity: values.identity,
    clientTls: parseClientTls(values),
    metricsPort:
      values['metrics-port'] === undefined ? undefined : parsePort(values['metrics-port']),
    metricsHost: values['metrics-host'],
    logLevel: values['log-level'],
    approvalsDir: values['approvals-dir'],
    record: values.record,
    help: false,
  };
}

function defaults(): SidecarArgs {
  return {
    policies: '',
    operator: undefined,
    firstPort: undefined,
    listen: undefined,
    identity: undefined,
    clientTls: undefined,
    metricsPort: undefined,
    metricsHost: '127.0.0.1',
    logLevel: 'info',
    approvalsDir: undefined,
    record: undefined,
    help: false,
  };
}

function parseClientTls(values: {
  'client-tls-cert'?: string | undefined;
  'client-tls-key'?: string | undefined;
  'client-tls-required'?: boolean | undefined;
}): SidecarArgs['clientTls'] {
  const certFile = values['client-tls-cert'];
  const keyFile = values['client-tls-key'];
  const required = values['client-tls-required'] ?? false;
  if (certFile === undefined && keyFile === undefined) {
    if (!required) return undefined;
    throw new UsageError('--client-tls-required needs --client-tls-cert and --client-tls-key');
  }
  if (certFile === undefined || keyFile === undefined) {
    throw new UsageError('give both --client-tls-cert FILE and --client-tls-key FILE, or neither');
  }
  if (certFile === '' || keyFile === '') {
    throw new UsageError('--client-tls-cert and --client-tls-key want file names');
  }
  return { certFile, keyFile, required };
}

function parseListen(value: string): { host: string; port: number } {
  const colon = value.lastIndexOf(':');
  if (colon <= 0) throw new UsageError(`--listen wants HOST:PORT, got "${value}"`);
  return {
    host: value.slice(0, colon).replace(/^\[|\]$/g, ''),
    port: parsePort(value.slice(colon + 1)),
  };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`"${value}" is not a port number`);
  }
  return port;
}

/**
 * Runs the sidecar until SIGTERM or SIGINT, then ends every session, drops their roles and
 * returns the exit code.
 */
export async function main(argv: string[]): Promise<number> {
  let args: SidecarArgs;
  try {
    args = parseSidecarArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  // With the recording on stdout, the log takes stderr: one writer per stream, so a long
  // recording line never interleaves with a log line (the pod's log still holds both).
  const processLogger = createLogger({
    level: args.logLevel,
    name: 'portcullis-sidecar',
    ...(args.record === '-' ? { destination: pino.destination({ fd: 2, sync: false }) } : {}),
  });
  // The injected env names the pod, so that every line says which pod's gate wrote it.
  const { POD_NAMESPACE: namespace, POD_NAME: pod } = process.env;
  const logger =
    args.operator && namespace && pod
      ? processLogger.child({ pod: `${namespace}/${pod}` })
      : processLogger;
  try {
    return await serve(args, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'the gate could not start');
    return 1;
  }
}

async function serve(args: SidecarArgs, logger: Logger): Promise<number> {
  const workloadIdentity =
    args.identity === undefined ? undefined : parseWorkloadIdentity(args.identity);
  const metrics = args.metricsPort === undefined ? undefined : createGateMetrics();
  const { policySource, controls } = args.operator
    ? await kubernetesMode(args, args.operator, metrics, logger)
    : standaloneMode(args, metrics, logger);
  const gate = await Gate.start({
    policySource,
    controls: controls.controls,
    logger,
    ...(workloadIdentity ? { workloadIdentity } : {}),
    ...(args.listen ? { host: args.listen.host, port: args.listen.port } : {}),
    ...(args.firstPort === undefined ? {} : { firstPort: args.firstPort }),
    ...(metrics ? { metrics } : {}),
    ...(args.clientTls ? { clientTls: args.clientTls } : {}),
  });

  let observability: ObservabilityServer | undefined;
  let stopping = false;
  if (metrics && args.metricsPort !== undefined) {
    // Gate.start has resolved: policies were loaded and every listener is bound. Ready from
    // then on while some policy still applies (a withdrawn bundle refuses every session).
    observability = new ObservabilityServer({
      registry: metrics.registry,
      readiness: () => {
        if (stopping) return { ready: false, reasons: ['the gate is shutting down'] };
        if (policySource.current().policies.length === 0) {
          return { ready: false, reasons: ['no AccessPolicy applies to this gate'] };
        }
        return { ready: true };
      },
      logger,
    });
    await observability.listen(args.metricsPort, args.metricsHost);
  }
  logger.info({ dataSources: Object.fromEntries(gate.addresses) }, 'gate ready');
  if (
    args.record === undefined &&
    policySource.current().policies.some((p) => p.spec.recording.enabled)
  ) {
    logger.warn('policies ask for recording, but no --record was given: sessions are not recorded');
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  stopping = true;
  logger.info({ signal, sessions: gate.sessionCount }, 'shutting down');
  await observability?.close();
  await gate.stop();
  await controls.close();
  logger.info('stopped');
  return 0;
}

interface ModeParts {
  policySource: PolicySource;
  controls: StandaloneControls;
}

function standaloneMode(
  args: SidecarArgs,
  metrics: GateMetrics | undefined,
  logger: Logger,
): ModeParts {
  const policySource = new FilePolicySource({ dir: args.policies, logger });
  const controls = standaloneControls({
    policies: () => policySource.current(),
    approvalsDir: args.approvalsDir ?? defaultApprovalsDir(),
    record: args.record,
    metrics,
    logger,
  });
  return { policySource, controls };
}

/**
 * Kubernetes mode: the pod's bundle from the operator, approvals filed as AccessRequests
 * through it. The injected container passes the operator's CA in PORTCULLIS_OPERATOR_CA.
 */
async function kubernetesMode(
  args: SidecarArgs,
  operator: NonNullable<SidecarArgs['operator']>,
  metrics: GateMetrics | undefined,
  logger: Logger,
): Promise<ModeParts> {
  const caPem =
    operator.caFile === undefined
      ? process.env.PORTCULLIS_OPERATOR_CA || undefined
      : await readFile(operator.caFile, 'utf8');
  const policySource = new OperatorPolicySource({
    url: operator.url,
    tokenFile: operator.tokenFile,
    ...(caPem === undefined ? {} : { caPem }),
    logger,
  });
  const approvals = new OperatorApprovalChannel({
    endpoint: { url: operator.url, tokenFile: operator.tokenFile, ca: caPem },
    logger,
  });
  const writer =
    args.record === undefined
      ? undefined
      : new RecordWriter({ logger, ...(args.record === '-' ? {} : { file: args.record }) });
  const controls = sessionControls({
    approvals,
    ...(writer ? { recording: writer } : {}),
    ...(metrics ? { metrics } : {}),
  });
  return { policySource, controls: { controls, close: async () => writer?.close() } };
}
