/** The fields of object metadata every cached object has. */
export interface KubeObject {
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    generation?: number;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

/** The key a store and a work queue use: `namespace/name`, or `name` for cluster objects. */
export function objectKey(object: KubeObject): string {
  const name = object.metadata?.name ?? '';
  const namespace = object.metadata?.namespace;
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
}

/** Splits a key made by objectKey. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  if (slash < 0) return { namespace: undefined, name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Read access to the objects an informer holds. */
export interface ReadonlyStore<T extends KubeObject> {
  get(namespace: string | undefined, name: string): T | undefined;
  getByKey(key: string): T | undefined;
  /** Every object, or those of one namespace. */
  list(namespace?: string): T[];
  readonly size: number;
}

/** Objects by key, indexed by namespace so per-namespace listing does not scan everything. */
export class Store<T extends KubeObject> implements ReadonlyStore<T> {
  private readonly byKey = new Map<string, T>();
  private readonly byNamespace = new Map<string, Map<string, T>>();

  get(namespace: string | undefined, name: string): T | undefined {
    return this.byKey.get(
      namespace === undefined || namespace === '' ? name : `${namespace}/${name}`,
    );
  }

  getByKey(key: string): T | undefined {
    return this.byKey.get(key);
  }

  list(namespace?: string): T[] {
    if (namespace === undefined) return [...this.byKey.values()];
    return [...(this.byNamespace.get(namespace)?.values() ?? [])];
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Stores the object and returns the one it replaced. */
  put(object: T): T | undefined {
    const key = objectKey(object);
    const old = this.byKey.get(key);
    this.byKey.set(key, object);
    const namespace = object.metadata?.namespace ?? '';
    let inNamespace = this.byNamespace.get(namespace);
    if (inNamespace === undefined) {
      inNamespace = new Map();
      this.byNamespace.set(namespace, inNamespace);
    }
    inNamespace.set(key, object);
    return old;
  }

  /** Removes the object under key and returns it. */
  remove(key: string): T | undefined {
    const old = this.byKey.get(key);
    if (old === undefined) return undefined;
    this.byKey.delete(key);
    const namespace = old.metadata?.namespace ?? '';
    const inNamespace = this.byNamespace.get(namespace);
    inNamespace?.delete(key);
    if (inNamespace?.size === 0) this.byNamespace.delete(namespace);
    return old;
  }
}
