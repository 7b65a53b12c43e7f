import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface HealthServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  /** Why the process is not ready yet, or undefined when it is. */
  notReadyReason: () => string | undefined;
  log: Logger;
}

export interface RunningHealthServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Plain-HTTP probes and metrics: /healthz answers while the event loop runs, /readyz once
 * the caches have synced and the HTTPS server listens, /metrics in Prometheus text format.
 */
export async function startHealthServer(
  options: HealthServerOptions,
): Promise<RunningHealthServer> {
  const { registry, log } = options;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const reason = options.notReadyReason();
      res.writeHead(reason === undefined ? 200 : 503, { 'Content-Type': 'text/plain' });
      res.end(reason === undefined ? 'ok\n' : `${reason}\n`);
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err: unknown) => {
          log.error({ err }, 'collecting metrics failed');
          res.writeHead(500).end();
        },
      );
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
