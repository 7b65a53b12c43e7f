import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** What /readyz reports: ready, or the reasons it is not (e.g. "policies not loaded"). */
export interface Readiness {
  ready: boolean;
  reasons?: string[];
}

/** The sources of the three endpoints. */
export interface ObservabilityServerOptions {
  registry: Registry;
  /** Asked on every /readyz; ready once policies are loaded and every listener is bound. */
  readiness: () => Readiness | Promise<Readiness>;
  logger: Logger;
}

/**
 * The gate's own HTTP port: /healthz (the process answers), /readyz (the readiness callback)
 * and /metrics (Prometheus text format). Plain node:http: three fixed GET routes need no
 * router, and the sidecar image carries no web framework for them.
 */
export class ObservabilityServer {
  readonly #server: Server;
  readonly #options: ObservabilityServerOptions;

  constructor(options: ObservabilityServerOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        options.logger.error({ err: error, path: req.url }, 'observability request failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  /**
   * Starts listening; resolves with the bound port (useful with port 0). Kubelet probes reach
   * the pod IP, so a sidecar listens on all interfaces; standalone runs may keep loopback.
   */
  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const bound = (this.#server.address() as AddressInfo).port;
    this.#options.logger.info({ host, port: bound }, 'observability endpoints listening');
    return bound;
  }

  /** Stops accepting and closes idle keep-alive connections (a scrape may hold one open). */
  async close(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve, reject) =>
      this.#server.close((error) => (error ? reject(error) : resolve())),
    );
    this.#server.closeIdleConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;

    if (path === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
    if (path === '/readyz') return this.#ready(res);
    if (path === '/metrics') {
      const { registry } = this.#options;
      return send(res, 200, registry.contentType, await registry.metrics());
    }
    return send(res, 404, 'text/plain', 'not found\n');
  }

  async #ready(res: ServerResponse): Promise<void> {
    let readiness: Readiness;
    try {
      readiness = await this.#options.readiness();
    } catch (error) {
      this.#options.logger.error({ err: error }, 'readiness check failed');
      readiness = { ready: false, reasons: ['readiness check failed; see the log'] };
    }
    const body = readiness.ready
      ? { status: 'ready' }
      : { status: 'not ready', reasons: readiness.reasons ?? [] };
    send(res, readiness.ready ? 200 : 503, 'application/json', `${JSON.stringify(body)}\n`);
  }
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
