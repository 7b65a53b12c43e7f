import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { accessPolicySchema, dataSourceSchema } from '@portcullis/crds';
import type { Logger } from 'pino';
import { answerMessage, operatorRequest } from './operator-request.js';
import type { PolicySnapshot, PolicySource } from './policy-source.js';

/** Options of an OperatorPolicySource. */
export interface OperatorPolicySourceOptions {
  /** Base URL of the operator, e.g. https://portcullis.portcullis-system.svc:443. */
  url: string;
  /** The projected service-account token; reread before every request (kubelet rotates it). */
  tokenFile: string;
  /** PEM CA bundle that signed the operator's certificate (the injected env carries it). */
  caPem?: string;
  /** File with that CA bundle, when it is mounted rather than passed in env. */
  caFile?: string;
  logger: Logger;
  /** How long one long-poll asks the operator to hold (default 30 s). */
  waitSeconds?: number;
  /** How long start() keeps retrying the first bundle before it gives up (default 30 s). */
  startTimeoutMs?: number;
  /** Retry delays after a failure: doubled from the first up to the last (default 0.5 s, 30 s). */
  backoffMs?: { initial: number; max: number };
}

/** The first bundle could not be loaded; the gate must not start. */
export class PolicyFetchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PolicyFetchError';
  }
}

/** The operator answered, but refuses this pod: its token or pod is no longer accepted. */
class BundleRefusedError extends PolicyFetchError {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'BundleRefusedError';
  }
}

interface BundleBody {
  version?: unknown;
  dataSources?: unknown;
  policies?: unknown;
  secrets?: unknown;
  rowShares?: unknown;
}

type FetchResult = { changed: false } | { changed: true; snapshot: PolicySnapshot };

/**
 * Kubernetes mode's policies: the bundle the operator serves to this pod at /v1/bundle,
 * long-polled with If-None-Match so a change arrives within moments. Fails closed: start()
 * rejects when no bundle arrives in time, and an operator that stops accepting this pod
 * replaces the snapshot with an empty one, refusing every new session. Other failures keep
 * the last snapshot and retry with backoff.
 */
export class OperatorPolicySource implements PolicySource {
  private snapshot: PolicySnapshot | undefined;
  private readonly listeners = new Set<(next: PolicySnapshot) => void>();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private ca: string | undefined;

  constructor(private readonly options: OperatorPolicySourceOptions) {}

  async start(): Promise<PolicySnapshot> {
    const { logger } = this.options;
    this.ca =
      this.options.caPem ??
      (this.options.caFile === undefined ? undefined : await readFile(this.options.caFile, 'utf8'));
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 30_000);
    let delay = this.options.backoffMs?.initial ?? 500;
    for (;;) {
      try {
        const result = await this.fetchBundle(0);
        if (!result.changed) throw new PolicyFetchError('the operator sent no bundle');
        this.snapshot = result.snapshot;
        break;
      } catch (err) {
        if (Date.now() + delay > deadline || this.stopping.signal.aborted) {
          throw new PolicyFetchError(`no policy bundle from ${this.options.url}`, { cause: err });
        }
        logger.warn({ err: describe(err) }, 'policy bundle not loaded yet; retrying');
        await sleep(delay);
        delay = Math.min(delay * 2, this.options.backoffMs?.max ?? 30_000);
      }
    }

    logger.info(
      {
        version: this.snapshot.version,
        policies: this.snapshot.policies.length,
        dataSources: this.snapshot.dataSources.length,
      },
      'policy bundle loaded',
    );
    this.loop = this.follow();
    return this.snapshot;
  }

  current(): PolicySnapshot {
    if (this.snapshot === undefined) throw new PolicyFetchError('policies read before start()');
    return this.snapshot;
  }

  onChange(listener: (next: PolicySnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async follow(): Promise<void> {
    const { logger } = this.options;
    const signal = this.stopping.signal;
    const initial = this.options.backoffMs?.initial ?? 500;
    let delay = initial;
    while (!signal.aborted) {
      try {
        const result = await this.fetchBundle(this.options.waitSeconds ?? 30);
        delay = initial;
        if (result.changed) this.replace(result.snapshot, 'policy bundle changed');
        continue;
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof BundleRefusedError) {
          this.replace(
            emptySnapshot(`refused-${err.statusCode}`),
            `operator refused this pod: ${err.message}`,
          );
        } else {
          logger.warn(
            { err: describe(err), retryInMs: delay },
            'policy bundle poll failed; keeping the last bundle',
          );
        }
      }
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        return;
      }
      delay = Math.min(delay * 2, this.options.backoffMs?.max ?? 30_000);
    }
  }

  private replace(next: PolicySnapshot, message: string): void {
    if (next.version === this.snapshot?.version) return;
    this.snapshot = next;
    this.options.logger.info({ version: next.version, policies: next.policies.length }, message);
    for (const listener of this.listeners) listener(next);
  }

  /** One GET /v1/bundle; waits up to waitSeconds for a change when a version is known. */
  private async fetchBundle(waitSeconds: number): Promise<FetchResult> {
    const endpoint = { url: this.options.url, tokenFile: this.options.tokenFile, ca: this.ca };
    const polling = this.snapshot !== undefined && waitSeconds > 0;
    const { status, body } = await operatorRequest(endpoint, '/v1/bundle', {
      query: polling ? { wait: `${waitSeconds}s` } : {},
      headers: polling ? { 'if-none-match': this.snapshot!.version } : {},
      signal: AbortSignal.any([
        this.stopping.signal,
        AbortSignal.timeout((waitSeconds + 15) * 1_000),
      ]),
    });
    if (status === 304) return { changed: false };
    if (status === 401 || status === 403) throw new BundleRefusedError(status, answerMessage(body));
    if (status !== 200) {
      throw new PolicyFetchError(`operator answered ${status}: ${answerMessage(body)}`);
    }
    return { changed: true, snapshot: toSnapshot(JSON.parse(body) as BundleBody) };
  }
}

function toSnapshot(body: BundleBody): PolicySnapshot {
  if (
    typeof body.version !== 'string' ||
    !Array.isArray(body.dataSources) ||
    !Array.isArray(body.policies)
  ) {
    throw new PolicyFetchError('the bundle is not a Portcullis policy bundle');
  }
  const secrets = new Map<string, Record<string, string>>();
  for (const [name, data] of Object.entries((body.secrets ?? {}) as Record<string, unknown>)) {
    if (typeof data !== 'object' || data === null)
      throw new PolicyFetchError(`secret ${name} is malformed`);
    secrets.set(name, { ...(data as Record<string, string>) });
  }
  return {
    version: body.version,
    dataSources: body.dataSources.map((ds) => dataSourceSchema.parse(ds)),
    policies: body.policies.map((p) => accessPolicySchema.parse(p)),
    secrets,
    rowShares: readRowShares(body.rowShares),
  };
}

// An operator older than row shares sends none: each gate then enforces the whole limit.
function readRowShares(value: unknown): Map<string, number> {
  const shares = new Map<string, number>();
  if (value === undefined) return shares;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PolicyFetchError('the row shares of the bundle are malformed');
  }
  for (const [policy, pods] of Object.entries(value)) {
    if (typeof pods !== 'number' || !Number.isSafeInteger(pods) || pods < 1) {
      throw new PolicyFetchError(`the row share of policy ${policy} is malformed`);
    }
    shares.set(policy, pods);
  }
  return shares;
}

function emptySnapshot(version: string): PolicySnapshot {
  return { version, dataSources: [], policies: [], secrets: new Map() };
}

// Log the reason of a failure, never the request: its headers carry the bearer token.
function describe(err: unknown): { message: string; cause?: string } {
  if (!(err instanceof Error)) return { message: String(err) };
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause === undefined ? { message: err.message } : { message: err.message, cause };
}
