import type { AccessPolicy, AccessRequest, DataSource } from '@portcullis/crds';
import type { CacheChange, CachedPod, CachedSecret } from '../kube/cache.js';
import { objectKey, Store, type KubeObject } from '../kube/store.js';
import type { CacheView } from './cache-view.js';

/**
 * An in-memory CacheView for tests: objects go in with put() and remove(), and listeners
 * hear about them as they would from the informers.
 */
export class MemoryCache implements CacheView {
  synced = true;
  private readonly stores = {
    DataSource: new Store<DataSource>(),
    AccessPolicy: new Store<AccessPolicy>(),
    AccessRequest: new Store<AccessRequest>(),
    Pod: new Store<CachedPod>(),
    Secret: new Store<CachedSecret>(),
  };
  private readonly listeners = new Set<(change: CacheChange) => void>();

  /** Adds or replaces an object of one of the cached kinds. */
  put(kind: CacheChange['kind'], object: KubeObject): void {
    const store = this.stores[kind] as Store<KubeObject>;
    const old = store.put(object);
    const event = old === undefined ? { type: 'add', object } : { type: 'update', object, old };
    this.emit({ kind, event } as CacheChange);
  }

  remove(kind: CacheChange['kind'], object: KubeObject): void {
    const old = (this.stores[kind] as Store<KubeObject>).remove(objectKey(object));
    if (old !== undefined)
      this.emit({ kind, event: { type: 'delete', object: old } } as CacheChange);
  }

  listPolicies(namespace?: string): AccessPolicy[] {
    return this.stores.AccessPolicy.list(namespace);
  }

  getPolicy(namespace: string, name: string): AccessPolicy | undefined {
    return this.stores.AccessPolicy.get(namespace, name);
  }

  listDataSources(namespace?: string): DataSource[] {
    return this.stores.DataSource.list(namespace);
  }

  getDataSource(namespace: string, name: string): DataSource | undefined {
    return this.stores.DataSource.get(namespace, name);
  }

  getAccessRequest(namespace: string, name: string): AccessRequest | undefined {
    return this.stores.AccessRequest.get(namespace, name);
  }

  getPod(namespace: string, name: string): CachedPod | undefined {
    return this.stores.Pod.get(namespace, name);
  }

  listPods(namespace?: string): CachedPod[] {
    return this.stores.Pod.list(namespace);
  }

  getSecretData(namespace: string, name: string): Record<string, Buffer> | undefined {
    const secret = this.stores.Secret.get(namespace, name);
    if (secret === undefined) return undefined;
    return Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    );
  }

  onChange(listener: (change: CacheChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: CacheChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
