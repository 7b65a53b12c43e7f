import { Backoff, jittered, sleep } from './backoff.js';
import { KubeApiError, type KubeClient, type QueryValue } from './rest-client.js';
import { resourcePath, type Resource } from './resources.js';
import { objectKey, Store, type KubeObject, type ReadonlyStore } from './store.js';

/** A change the informer saw; `old` is the stored object an update or delete replaced. */
export type InformerEvent<T> =
  | { type: 'add'; object: T }
  | { type: 'update'; object: T; old: T }
  | { type: 'delete'; object: T };

/** An object the server holds that `decode` refused; it is kept out of the store. */
export interface InvalidObject {
  raw: KubeObject;
  error: unknown;
}

/** The server no longer has the resourceVersion we watched from; a relist is needed. */
export class ResourceVersionGoneError extends Error {
  constructor(options?: ErrorOptions) {
    super('watch resourceVersion is too old (410 Gone)', options);
    this.name = 'ResourceVersionGoneError';
  }
}

export interface InformerOptions<T extends KubeObject> {
  client: KubeClient;
  resource: Resource;
  /** Watch one namespace; all namespaces when omitted. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Turns a raw object into T, throwing for an object that must not be used. */
  decode?: (raw: KubeObject) => T;
  /** Mean time between full relists, jittered by up to 20 % (default 10 minutes). */
  relistIntervalMs?: number;
  /** Page size of a list (default 500). */
  pageSize?: number;
  backoff?: Backoff;
}

interface ListResponse {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
}

interface WatchLine {
  type?: string;
  object?: KubeObject & { code?: number; reason?: string; message?: string };
}

// Server-side watch timeout; a range so many watches do not all reconnect at once.
const WATCH_TIMEOUT_MIN_S = 240;
const WATCH_TIMEOUT_SPREAD_S = 120;

/**
 * Keeps a store of one resource in step with the API server: list, then watch from the
 * list's resourceVersion with bookmarks; relist on 410 Gone and on a jittered timer. Events
 * and errors go to listeners; the caller decides what to log.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 */
export class Informer<T extends KubeObject> {
  private readonly options: InformerOptions<T>;
  private readonly items = new Store<T>();
  private readonly eventListeners = new Set<(event: InformerEvent<T>) => void>();
  private readonly errorListeners = new Set<(error: unknown) => void>();
  private readonly invalidListeners = new Set<(invalid: InvalidObject) => void>();
  private readonly syncWaiters: (() => void)[] = [];
  private readonly backoff: Backoff;
  private resourceVersion: string | undefined;
  private hasSynced = false;
  private stopController = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(options: InformerOptions<T>) {
    this.options = options;
    this.backoff = options.backoff ?? new Backoff();
  }

  /** The objects as last seen; read-only for everyone but the informer. */
  get store(): ReadonlyStore<T> {
    return this.items;
  }

  /** True once the first list has filled the store. */
  get synced(): boolean {
    return this.hasSynced;
  }

  get resource(): Resource {
    return this.options.resource;
  }

  /** Calls listener for every add, update and delete; returns a function that unsubscribes. */
  onEvent(listener: (event: InformerEvent<T>) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Calls listener for every failed list or watch (the informer retries by itself). */
  onError(listener: (error: unknown) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** Calls listener for every object `decode` refused. */
  onInvalid(listener: (invalid: InvalidObject) => void): () => void {
    this.invalidListeners.add(listener);
    return () => this.invalidListeners.delete(listener);
  }

  /** Resolves when the first list has completed, or when the signal aborts. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.hasSynced || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.syncWaiters.push(resolve);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** Starts the list-watch loop in the background. */
  start(): void {
    if (this.loop !== undefined) return;
    this.stopController = new AbortController();
    this.loop = this.run(this.stopController.signal);
  }

  /** Stops watching and waits for the loop to end; the store keeps its last contents. */
  async stop(): Promise<void> {
    this.stopController.abort();
    await this.loop;
    this.loop = undefined;
  }

  private async run(stopSignal: AbortSignal): Promise<void> {
    let relistAt = 0;
    while (!stopSignal.aborted) {
      try {
        if (this.resourceVersion === undefined || Date.now() >= relistAt) {
          await this.relist(stopSignal);
          relistAt = Date.now() + jittered(this.options.relistIntervalMs ?? 600_000);
        }
        await this.watch(stopSignal, relistAt);
        this.backoff.reset();
      } catch (err) {
        if (stopSignal.aborted) break;
        if (err instanceof ResourceVersionGoneError) {
          this.resourceVersion = undefined;
          continue;
        }
        this.emitError(err);
        await sleep(this.backoff.next(), stopSignal);
      }
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const seen = new Map<string, T>();
    const invalid: KubeObject[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.options.client.request<ListResponse>(this.collectionPath(), {
        query: {
          ...this.selectors(),
          limit: this.options.pageSize ?? 500,
          continue: continueToken,
        },
        signal,
      });
      for (const raw of page.items ?? []) {
        const decoded = this.decode(raw);
        if (decoded === undefined) invalid.push(raw);
        else seen.set(objectKey(decoded), decoded);
      }
      continueToken = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion;
    } while (continueToken !== undefined);

    // Objects gone since the last list are deletions we missed while not watching.
    for (const key of this.itemsKeys()) {
      if (!seen.has(key)) this.removeKey(key);
    }
    for (const object of seen.values()) this.upsert(object);
    for (const raw of invalid) this.removeKey(objectKey(raw));

    this.resourceVersion = resourceVersion;
    if (!this.hasSynced) {
      this.hasSynced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  private async watch(stopSignal: AbortSignal, relistAt: number): Promise<void> {
    const controller = new AbortController();
    const signal = AbortSignal.any([stopSignal, controller.signal]);
    const relistTimer = setTimeout(() => controller.abort(), Math.max(0, relistAt - Date.now()));
    let failure: Error | undefined;
    const timeoutSeconds = WATCH_TIMEOUT_MIN_S + Math.floor(Math.random() * WATCH_TIMEOUT_SPREAD_S);

    const onLine = (line: string): void => {
      if (failure !== undefined || line.trim() === '') return;
      try {
        this.applyWatchLine(JSON.parse(line) as WatchLine);
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
        controller.abort();
      }
    };

    try {
      await this.options.client.stream(
        this.collectionPath(),
        {
          ...this.selectors(),
          watch: true,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
        },
        onLine,
        signal,
      );
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 410) {
        throw new ResourceVersionGoneError({ cause: err });
      }
      if (!signal.aborted) throw err;
    } finally {
      clearTimeout(relistTimer);
    }
    if (failure !== undefined) throw failure;
  }

  private applyWatchLine(line: WatchLine): void {
    const object = line.object;
    if (object === undefined) return;

    if (line.type === 'ERROR') {
      // The API server reports an expired resourceVersion as an ERROR event with a 410 Status.
      if (object.code === 410) throw new ResourceVersionGoneError();
      throw new KubeApiError(
        `watch error: ${object.message ?? 'unknown'}`,
        object.code ?? 0,
        object.reason,
      );
    }

    const resourceVersion = object.metadata?.resourceVersion;
    if (line.type === 'BOOKMARK') {
      this.resourceVersion = resourceVersion ?? this.resourceVersion;
      return;
    }
    if (line.type === 'ADDED' || line.type === 'MODIFIED') {
      const decoded = this.decode(object);
      if (decoded === undefined) this.removeKey(objectKey(object));
      else this.upsert(decoded);
    } else if (line.type === 'DELETED') {
      this.removeKey(objectKey(object));
    }
    this.resourceVersion = resourceVersion ?? this.resourceVersion;
  }

  private decode(raw: KubeObject): T | undefined {
    if (this.options.decode === undefined) return raw as T;
    try {
      return this.options.decode(raw);
    } catch (error) {
      for (const listener of this.invalidListeners) this.call(listener, { raw, error });
      return undefined;
    }
  }

  private upsert(object: T): void {
    const old = this.items.put(object);
    if (old === undefined) {
      this.emit({ type: 'add', object });
    } else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) {
      this.emit({ type: 'update', object, old });
    }
  }

  private removeKey(key: string): void {
    const old = this.items.remove(key);
    if (old !== undefined) this.emit({ type: 'delete', object: old });
  }

  private itemsKeys(): string[] {
    return this.items.keys();
  }

  private emit(event: InformerEvent<T>): void {
    for (const listener of this.eventListeners) this.call(listener, event);
  }

  private emitError(error: unknown): void {
    for (const listener of this.errorListeners) listener(error);
  }

  // A throwing listener must not stop the watch or starve the other listeners.
  private call<A>(listener: (arg: A) => void, arg: A): void {
    try {
      listener(arg);
    } catch (err) {
      this.emitError(err);
    }
  }

  private collectionPath(): string {
    return resourcePath(this.options.resource, this.options.namespace);
  }

  private selectors(): Record<string, QueryValue> {
    return {
      labelSelector: this.options.labelSelector,
      fieldSelector: this.options.fieldSelector,
    };
  }
}
