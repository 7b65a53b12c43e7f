import { request, type RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

/** A Kubernetes object as JSON, with the fields the suite reads typed loosely. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

/** An answer of the API server other than 2xx; message is the Status message users see. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

/** A small JSON client for the API server, authenticated as the kubeconfig's current user. */
export class KubeApi {
  private constructor(
    private readonly config: KubeConfig,
    readonly server: string,
  ) {}

  /** A client for the current context of the kubeconfig file. */
  static fromFile(path: string): KubeApi {
    const config = new KubeConfig();
    config.loadFromFile(path);
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error(`${path} has no current cluster`);
    return new KubeApi(config, cluster.server.replace(/\/$/, ''));
  }

  /** GET path; resolves with the object. */
  get<T = KubeObject>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** GET path, or undefined on 404. */
  async find<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** POST body to a collection path. */
  create<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  /** PUT body to an object path. */
  replace<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  /** PATCH an object path with a merge, JSON or strategic-merge patch. */
  patch<T = KubeObject>(
    path: string,
    body: unknown,
    type: keyof typeof PATCH_TYPES = 'merge',
  ): Promise<T> {
    return this.request<T>('PATCH', path, body, PATCH_TYPES[type]);
  }

  /** DELETE an object path; a missing object is not an error. */
  async delete(path: string): Promise<void> {
    try {
      await this.request('DELETE', path);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 404)) throw error;
    }
  }

  /** One request; rejects with KubeApiError carrying the server's Status message. */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const url = new URL(path, this.server);
    const options: RequestOptions = { method, headers: { accept: 'application/json' } };
    await this.config.applyToHTTPSOptions(options);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      options.headers = { ...options.headers, 'content-type': contentType };
    }

    const { status, text } = await new Promise<{ status: number; text: string }>(
      (resolve, reject) => {
        const req = request(url, options, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.once('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
          res.once('error', reject);
        });
        req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
        req.once('error', reject);
        req.end(payload);
      },
    );

    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    if (status < 200 || status > 299) {
      const message = (parsed as { message?: string } | undefined)?.message ?? text;
      throw new KubeApiError(status, `${method} ${path}: ${status} ${message}`, parsed);
    }
    return parsed as T;
  }
}
