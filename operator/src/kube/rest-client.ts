import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeConfig } from '@kubernetes/client-node';

/** A request the API server refused, with the HTTP status and the Status reason it sent. */
export class KubeApiError extends Error {
  readonly statusCode: number;
  readonly reason: string | undefined;

  constructor(message: string, statusCode: number, reason?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.reason = reason;
  }
}

/** The request could not be sent or its answer could not be read. */
export class KubeTransportError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KubeTransportError';
  }
}

export type QueryValue = string | number | boolean | undefined;

/** Content types the API server accepts for PATCH. */
export const PatchType = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategicMerge: 'application/strategic-merge-patch+json',
} as const;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Record<string, QueryValue>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

/**
 * A thin JSON client for the Kubernetes REST API. It returns objects exactly as the server
 * sent them (timestamps stay RFC 3339 strings), so listed and watched objects look alike.
 * Authentication and TLS come from the KubeConfig on every request, so rotated tokens apply.
 */
export class KubeClient {
  readonly config: KubeConfig;

  constructor(config: KubeConfig) {
    this.config = config;
  }

  /** Sends one request and parses the JSON answer; throws KubeApiError on a non-2xx status. */
  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(path, options);
    const text = await readBody(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw apiError(status, text, options.method ?? 'GET', path);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  /**
   * Opens a streaming GET (a watch) and calls onLine for every line of the body. Resolves
   * when the server ends the stream, rejects on a transport error or a non-200 answer.
   */
  async stream(
    path: string,
    query: Record<string, QueryValue>,
    onLine: (line: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const res = await this.send(path, { query, signal });
    if (res.statusCode !== 200) {
      throw apiError(res.statusCode ?? 0, await readBody(res), 'GET', path);
    }

    const lines = createInterface({ input: res, crlfDelay: Infinity });
    await new Promise<void>((resolve, reject) => {
      // A destroyed response (our abort, or the server dropping the connection) emits 'close'
      // but not always 'end' or 'error', so 'close' is what ends the wait.
      const finish = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        res.destroy();
        finish();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      lines.on('line', onLine);
      lines.on('close', finish);
      res.on('close', finish);
      res.on('error', (err) => {
        if (signal.aborted) return finish();
        signal.removeEventListener('abort', onAbort);
        reject(new KubeTransportError('watch stream failed', { cause: err }));
      });
    });
  }

  private async send(path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    const cluster = this.config.getCurrentCluster();
    if (cluster === null) throw new KubeTransportError('kubeconfig has no current cluster');

    const url = new URL(cluster.server.replace(/\/$/, '') + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const requestOptions: https.RequestOptions = { method: options.method ?? 'GET', headers };
    await this.config.applyToHTTPSOptions(requestOptions);

    const transport = url.protocol === 'http:' ? http : https;
    if (url.protocol === 'http:') delete requestOptions.agent;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { ...requestOptions, signal: options.signal }, resolve);
      req.on('error', (err) =>
        reject(new KubeTransportError(`${requestOptions.method} ${path} failed`, { cause: err })),
      );
      req.end(body);
    });
  }
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function apiError(status: number, text: string, method: string, path: string): KubeApiError {
  let reason: string | undefined;
  let message = text.slice(0, 200);
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string };
    reason = parsed.reason;
    message = parsed.message ?? message;
  } catch {
    // Not a Status object (a proxy in the way, say): keep the start of the body.
  }
  return new KubeApiError(`${method} ${path}: ${status} ${message}`, status, reason);
}

/** True for a 404 from the API server. */
export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.statusCode === 404;
}

/** True for a 409 (conflict on resourceVersion, or already exists). */
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.statusCode === 409;
}
