import { KubeConfig } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { FlagError, parseFlags, usage, type OperatorFlags } from './cli-flags.js';
import { AccessPolicyController } from './controllers/access-policy.js';
import { AccessRequestController } from './controllers/access-request.js';
import { ControllerMetrics } from './controllers/controller-metrics.js';
import { DataSourceController } from './controllers/data-source.js';
import { InvalidObjectReporter } from './controllers/invalid-objects.js';
import { RolloutController } from './controllers/rollout.js';
import { startHealthServer } from './health-server.js';
import { ClusterCache } from './kube/cache.js';
import { LeaderElection } from './kube/leader-election.js';
import { KubeClient } from './kube/rest-client.js';
import { EventRecorder } from './kube/status.js';
import { FileTls, SelfManagedTls, serviceSans, type ServingTls } from './tls/index.js';
import { startHttpsServer } from './webhooks/index.js';

function loadKubeConfig(flags: OperatorFlags): KubeConfig {
  const config = new KubeConfig();
  if (flags.kubeconfig !== undefined) config.loadFromFile(flags.kubeconfig);
  else if (process.env.KUBERNETES_SERVICE_HOST !== undefined) config.loadFromCluster();
  else config.loadFromDefault();
  return config;
}

// Native sidecars (init containers with restartPolicy Always) are on by default from 1.29.
async function detectNativeSidecars(client: KubeClient, flags: OperatorFlags): Promise<boolean> {
  if (flags.nativeSidecars !== 'auto') return flags.nativeSidecars === 'true';
  const version = await client.request<{ major?: string; minor?: string }>('/version');
  const major = Number.parseInt(version.major ?? '0', 10);
  const minor = Number.parseInt(version.minor ?? '0', 10);
  return major > 1 || (major === 1 && minor >= 29);
}

function servingTls(
  flags: OperatorFlags,
  client: KubeClient,
  leader: LeaderElection,
  log: Logger,
): ServingTls {
  if (flags.certMode === 'self') {
    return new SelfManagedTls({
      client,
      namespace: flags.namespace,
      secretName: flags.tlsSecret,
      sans: serviceSans(flags.serviceName, flags.namespace, flags.extraSans),
      webhookConfigName: flags.webhookConfig,
      isLeader: () => leader.isLeader,
      log: log.child({ component: 'tls' }),
    });
  }
  // cert-manager writes its Secret; the chart mounts it, so both modes read files.
  return new FileTls({
    certFile: flags.tlsCertFile,
    keyFile: flags.tlsKeyFile,
    caFile: flags.tlsCaFile,
    log: log.child({ component: 'tls' }),
  });
}

/**
 * Runs the operator until SIGTERM or SIGINT: the shared cache, leader election, the
 * controllers, the health and metrics server, and the HTTPS server for webhooks, bundles and
 * approvals. Resolves with the exit code.
 */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  let flags: OperatorFlags;
  try {
    flags = parseFlags(argv, env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage()}\n`);
    return err instanceof FlagError || err instanceof TypeError ? 2 : 1;
  }

  const log = pino({ level: flags.logLevel, base: { component: 'operator' } });
  const shutdown = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'shutting down');
      shutdown.abort();
      // A second signal means: stop now.
      process.once(signal, () => process.exit(1));
    });
  }

  const client = new KubeClient(loadKubeConfig(flags));
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = new ControllerMetrics(registry);

  const cache = new ClusterCache({ client });
  cache.onError((kind, err) => log.warn({ err, kind }, 'list/watch failed; retrying'));

  const leader = new LeaderElection({
    client,
    logger: log.child({ component: 'leader-election' }),
    namespace: flags.namespace,
    name: flags.leaseName,
    identity: flags.identity,
    leaseDurationMs: flags.leaseDurationSeconds * 1000,
    renewDeadlineMs: flags.renewDeadlineSeconds * 1000,
    retryPeriodMs: flags.retryPeriodSeconds * 1000,
  });
  const ctx = {
    client,
    cache,
    leadership: leader,
    events: new EventRecorder({ client, logger: log, instance: flags.identity }),
    logger: log.child({ component: 'controllers' }),
    metrics,
  };
  const dataSources = new DataSourceController(ctx, {
    resyncMs: flags.resyncSeconds * 1000,
    reapGraceSeconds: flags.reapGraceSeconds,
  });
  const policies = new AccessPolicyController(ctx);
  const requests = new AccessRequestController(ctx);
  const rollouts = new RolloutController(ctx, { sidecarImage: flags.sidecarImage });
  const invalid = new InvalidObjectReporter(ctx);
  leader.onBecameLeader(() => {
    metrics.leader.set(1);
    dataSources.enqueueAll();
    policies.enqueueAll();
    requests.enqueueAll();
    rollouts.enqueueAll();
    invalid.reportAll();
  });
  leader.onLostLeadership(() => metrics.leader.set(0));

  let httpsListening = false;
  const health = await startHealthServer({
    port: flags.metricsPort,
    registry,
    log,
    notReadyReason: () => {
      if (!cache.synced) return 'caches not synced';
      if (!httpsListening) return 'HTTPS server not listening';
      return undefined;
    },
  });
  log.info({ port: health.port }, 'health and metrics server listening');

  // Controllers subscribe before the first list, so they see every object arrive.
  for (const controller of [dataSources, policies, requests, rollouts, invalid]) {
    controller.start();
  }
  cache.start();
  leader.start();

  const tls = servingTls(flags, client, leader, log);
  let https: Awaited<ReturnType<typeof startHttpsServer>> | undefined;
  let failed = false;
  try {
    await cache.waitForSync(shutdown.signal);
    await tls.start(shutdown.signal);
    // Admission decisions read the cache, so the server listens only once it is full.
    if (!shutdown.signal.aborted) {
      https = await startHttpsServer({
        port: flags.httpsPort,
        tls,
        cache,
        client,
        log: log.child({ component: 'https' }),
        patchConfig: {
          image: flags.sidecarImage,
          command: flags.sidecarCommand,
          operatorUrl: flags.bundleUrl,
          nativeSidecars: await detectNativeSidecars(client, flags),
          healthPort: flags.sidecarHealthPort,
          tokenExpirationSeconds: 3600,
          runAsUser: flags.sidecarRunAsUser,
          sidecar: flags.sidecar,
          firstPort: flags.sidecarFirstPort,
          ...(flags.sidecarRecord === undefined ? {} : { record: flags.sidecarRecord }),
          excludedNamespaces: flags.excludedNamespaces,
        },
      });
      httpsListening = true;
    }
  } catch (err) {
    if (!shutdown.signal.aborted) {
      log.error({ err }, 'operator failed to start');
      failed = true;
      shutdown.abort();
    }
  }

  await new Promise<void>((resolve) => {
    if (shutdown.signal.aborted) resolve();
    shutdown.signal.addEventListener('abort', () => resolve(), { once: true });
  });

  // Stop writing, then hand the lease over so a successor need not wait it out, then stop
  // serving (the pod has left its Service's endpoints by now).
  httpsListening = false;
  await Promise.all([dataSources.stop(), policies.stop(), requests.stop(), rollouts.stop()]);
  await leader.stop();
  await https?.close();
  await tls.stop();
  await cache.stop();
  await health.close();
  log.info('stopped');
  return failed ? 1 : 0;
}
