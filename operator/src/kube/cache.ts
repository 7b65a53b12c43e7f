import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import {
  accessPolicySchema,
  accessRequestSchema,
  dataSourceSchema,
  type AccessPolicy,
  type AccessRequest,
  type DataSource,
} from '@portcullis/crds';
import { selectorMatches } from '../webhooks/label-selector.js';
import { Informer, type InformerEvent, type InvalidObject } from './informer.js';
import type { KubeClient } from './rest-client.js';
import { Resources } from './resources.js';
import type { KubeObject } from './store.js';

/**
 * Pods and Secrets as the API server sends them. NOTE: timestamps are RFC 3339 strings here,
 * not the Date objects the client-node model types declare; do not call Date methods on them.
 */
export type CachedPod = V1Pod & KubeObject;
export type CachedSecret = V1Secret & KubeObject;

/** Which informer a change came from, with the change. */
export type CacheChange =
  | { kind: 'DataSource'; event: InformerEvent<DataSource> }
  | { kind: 'AccessPolicy'; event: InformerEvent<AccessPolicy> }
  | { kind: 'AccessRequest'; event: InformerEvent<AccessRequest> }
  | { kind: 'Pod'; event: InformerEvent<CachedPod> }
  | { kind: 'Secret'; event: InformerEvent<CachedSecret> };

export type CacheKind = CacheChange['kind'];

type InformerLifecycle = Pick<Informer<KubeObject>, 'start' | 'stop' | 'synced' | 'waitForSync'>;

export interface ClusterCacheOptions {
  client: KubeClient;
  /** Mean time between full relists of every informer (default 10 minutes). */
  relistIntervalMs?: number;
}

// Managed fields are bookkeeping of server-side apply; nothing here reads them.
function withoutManagedFields<T extends KubeObject>(raw: KubeObject): T {
  if (raw.metadata !== undefined) Reflect.deleteProperty(raw.metadata, 'managedFields');
  return raw as T;
}

/**
 * The operator's view of the cluster, shared by the controllers, the webhooks, the bundle
 * server and the approvals API. Every replica keeps one; only the leader writes.
 * Custom resources are parsed with the crds zod schemas, so they carry their defaults, and
 * an object that fails the schema is left out (reported through onInvalid).
 */
export class ClusterCache {
  readonly dataSources: Informer<DataSource>;
  readonly accessPolicies: Informer<AccessPolicy>;
  readonly accessRequests: Informer<AccessRequest>;
  readonly pods: Informer<CachedPod>;
  // NOTE: holds every Secret of the cluster in memory (minter and CA Secrets may live in any
  // namespace); a label selector on this informer would narrow it, at the cost of asking
  // users to label their Secrets.
  readonly secrets: Informer<CachedSecret>;
  private readonly changeListeners = new Set<(change: CacheChange) => void>();

  constructor(options: ClusterCacheOptions) {
    const common = { client: options.client, relistIntervalMs: options.relistIntervalMs };
    this.dataSources = new Informer({
      ...common,
      resource: Resources.dataSources,
      decode: (raw) => dataSourceSchema.parse(raw),
    });
    this.accessPolicies = new Informer({
      ...common,
      resource: Resources.accessPolicies,
      decode: (raw) => accessPolicySchema.parse(raw),
    });
    this.accessRequests = new Informer({
      ...common,
      resource: Resources.accessRequests,
      decode: (raw) => accessRequestSchema.parse(raw),
    });
    this.pods = new Informer({ ...common, resource: Resources.pods, decode: withoutManagedFields });
    this.secrets = new Informer({
      ...common,
      resource: Resources.secrets,
      // Helm release records and legacy token Secrets are large or many, and never a minter
      // credential or a CA; the API server filters them out before they reach us.
      fieldSelector: 'type!=helm.sh/release.v1,type!=kubernetes.io/service-account-token',
      decode: withoutManagedFields,
    });

    this.dataSources.onEvent((event) => this.emit({ kind: 'DataSource', event }));
    this.accessPolicies.onEvent((event) => this.emit({ kind: 'AccessPolicy', event }));
    this.accessRequests.onEvent((event) => this.emit({ kind: 'AccessRequest', event }));
    this.pods.onEvent((event) => this.emit({ kind: 'Pod', event }));
    this.secrets.onEvent((event) => this.emit({ kind: 'Secret', event }));
  }

  private get informers(): InformerLifecycle[] {
    return [this.dataSources, this.accessPolicies, this.accessRequests, this.pods, this.secrets];
  }

  /** Starts every informer. */
  start(): void {
    for (const informer of this.informers) informer.start();
  }

  /** Stops every informer and waits for their loops to end. */
  async stop(): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.stop()));
  }

  /** True once every informer has listed once: what /readyz reports. */
  get synced(): boolean {
    return this.informers.every((informer) => informer.synced);
  }

  /** Resolves when every informer has listed once, or when the signal aborts. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.waitForSync(signal)));
  }

  /** Calls listener for every change in any informer; returns a function that unsubscribes. */
  onChange(listener: (change: CacheChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Calls listener for every list or watch failure, with the kind it concerns. */
  onError(listener: (kind: CacheKind, error: unknown) => void): void {
    this.dataSources.onError((error) => listener('DataSource', error));
    this.accessPolicies.onError((error) => listener('AccessPolicy', error));
    this.accessRequests.onError((error) => listener('AccessRequest', error));
    this.pods.onError((error) => listener('Pod', error));
    this.secrets.onError((error) => listener('Secret', error));
  }

  /** Calls listener for every custom resource its schema refused (kept out of the cache). */
  onInvalid(listener: (kind: CacheKind, invalid: InvalidObject) => void): void {
    this.dataSources.onInvalid((invalid) => listener('DataSource', invalid));
    this.accessPolicies.onInvalid((invalid) => listener('AccessPolicy', invalid));
    this.accessRequests.onInvalid((invalid) => listener('AccessRequest', invalid));
  }

  getDataSource(namespace: string, name: string): DataSource | undefined {
    return this.dataSources.store.get(namespace, name);
  }

  listDataSources(namespace?: string): DataSource[] {
    return this.dataSources.store.list(namespace);
  }

  getPolicy(namespace: string, name: string): AccessPolicy | undefined {
    return this.accessPolicies.store.get(namespace, name);
  }

  /** The AccessPolicies of one namespace, or of all when omitted. */
  listPolicies(namespace?: string): AccessPolicy[] {
    return this.accessPolicies.store.list(namespace);
  }

  /** The policies whose workloadSelector selects this pod (same namespace only). */
  policiesSelectingPod(pod: CachedPod): AccessPolicy[] {
    const namespace = pod.metadata?.namespace;
    if (namespace === undefined) return [];
    return this.listPolicies(namespace).filter((policy) =>
      selectorMatches(policy.spec.workloadSelector, pod.metadata?.labels),
    );
  }

  getAccessRequest(namespace: string, name: string): AccessRequest | undefined {
    return this.accessRequests.store.get(namespace, name);
  }

  /** AccessRequests of one namespace, or of all when omitted. */
  listAccessRequests(namespace?: string): AccessRequest[] {
    return this.accessRequests.store.list(namespace);
  }

  getPod(namespace: string, name: string): CachedPod | undefined {
    return this.pods.store.get(namespace, name);
  }

  /** Pods of one namespace, or of all when omitted. */
  listPods(namespace?: string): CachedPod[] {
    return this.pods.store.list(namespace);
  }

  /** The decoded data of a Secret (base64 undone), or undefined if the cache has no such Secret. */
  getSecretData(namespace: string, name: string): Record<string, Buffer> | undefined {
    const secret = this.secrets.store.get(namespace, name);
    if (secret === undefined) return undefined;
    const data: Record<string, Buffer> = {};
    for (const [key, value] of Object.entries(secret.data ?? {})) {
      data[key] = Buffer.from(value, 'base64');
    }
    return data;
  }

  /** One key of a Secret as UTF-8 text, or undefined if the Secret or the key is missing. */
  getSecretValue(namespace: string, name: string, key: string): string | undefined {
    const value = this.secrets.store.get(namespace, name)?.data?.[key];
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
  }

  private emit(change: CacheChange): void {
    for (const listener of this.changeListeners) listener(change);
  }
}
