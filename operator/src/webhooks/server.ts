import https from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  KubeAccessRequestWriter,
  type AccessRequestWriter,
} from '../approvals/access-request-writer.js';
import { approvalsRouter } from '../approvals/approvals-router.js';
import { bundleRouter } from '../bundles/bundle-router.js';
import { KubeTokenReviewer, type TokenReviewer } from '../bundles/token-review.js';
import type { KubeClient } from '../kube/rest-client.js';
import type { ServingTls } from '../tls/serving-tls.js';
import { admissionRouter } from './admission-router.js';
import type { CacheView } from './cache-view.js';
import { HttpsMetrics } from './https-metrics.js';
import { isExcludedNamespace, type PodPatchConfig } from './pod-patch.js';

/** What startHttpsServer needs; the operator's cli.ts builds it from its flags. */
export interface HttpsServerOptions {
  /** Port to listen on (8443 in the chart; 0 picks a free one). */
  port: number;
  /** Address to bind (default all interfaces). */
  host?: string;
  /** Serving certificate source, already started; the server follows its changes. */
  tls: ServingTls;
  /** The operator's informer cache; every replica serves from its own. */
  cache: CacheView;
  /** Client for TokenReviews and AccessRequest creation, as the operator's ServiceAccount. */
  client: Pick<KubeClient, 'request'>;
  /**
   * How pods are injected. operatorCaPem defaults to the CA bundle of `tls`, so sidecars
   * trust the certificate this server presents.
   */
  patchConfig: PodPatchConfig;
  log: Logger;
  /** Registry for the server's counters (the operator's /metrics); a private one if omitted. */
  registry?: Registry;
  /** Longest long-poll of /v1/bundle and /v1/approvals/NAME (default 60 s). */
  maxWaitMs?: number;
  /** Replaces the TokenReview client (tests). */
  tokenReviewer?: TokenReviewer;
  /** Replaces the AccessRequest client (tests). */
  accessRequestWriter?: AccessRequestWriter;
  now?: () => Date;
}

export interface RunningHttpsServer {
  server: https.Server;
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Stops accepting, ends open long-polls and waits for the server to close. */
  close(): Promise<void>;
}

/** The express app behind the HTTPS server: admission webhooks, bundles and approvals. */
export function operatorApp(options: HttpsServerOptions): express.Express {
  const { cache, log } = options;
  const reviewer = options.tokenReviewer ?? new KubeTokenReviewer(options.client);
  const excluded = (namespace: string) => isExcludedNamespace(namespace, options.patchConfig);
  const patchConfig = (): PodPatchConfig => ({
    ...options.patchConfig,
    operatorCaPem: options.patchConfig.operatorCaPem ?? options.tls.current().caPem,
  });

  const metrics = new HttpsMetrics(options.registry);
  const app = express();
  app.disable('x-powered-by');
  app.use(metrics.countRequests());
  app.use(admissionRouter({ cache, patchConfig, log, metrics, now: options.now }));
  app.use(
    bundleRouter({
      cache,
      reviewer,
      log,
      maxWaitMs: options.maxWaitMs,
      isExcludedNamespace: excluded,
    }),
  );
  app.use(
    approvalsRouter({
      cache,
      reviewer,
      log,
      isExcludedNamespace: excluded,
      writer: options.accessRequestWriter ?? new KubeAccessRequestWriter(options.client),
      maxWaitMs: options.maxWaitMs,
      now: options.now,
    }),
  );
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ message: 'not found' });
  });
  // Four parameters make this express's error handler; a bad request never ends the process.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ message: (err as Error).message });
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'request failed');
    if (!res.headersSent) res.status(500).json({ message: 'internal error' });
  });
  return app;
}

/**
 * Starts the operator's one HTTPS server: /mutate-pods, /mutate-accessrequests,
 * /validate-accessrequests, /validate-datasources, /validate-accesspolicies, GET /v1/bundle,
 * POST /v1/approvals and GET /v1/approvals/NAME. A new certificate from `tls` applies to
 * new connections without a restart.
 */
export async function startHttpsServer(options: HttpsServerOptions): Promise<RunningHttpsServer> {
  const { tls, log } = options;
  const material = tls.current();
  const server = https.createServer(
    { cert: material.certPem, key: material.keyPem, minVersion: 'TLSv1.2' },
    operatorApp(options),
  );
  const unsubscribe = tls.onChange((next) => {
    try {
      server.setSecureContext({ cert: next.certPem, key: next.keyPem, minVersion: 'TLSv1.2' });
      log.info('serving certificate reloaded');
    } catch (err) {
      // A certificate and key from two different rotations: keep the old pair until both land.
      log.error({ err }, 'new serving certificate rejected; keeping the previous one');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port }, 'HTTPS server listening');

  return {
    server,
    port,
    close: async () => {
      unsubscribe();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
