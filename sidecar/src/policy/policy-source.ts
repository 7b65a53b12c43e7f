import type { AccessPolicy, DataSource } from '@portcullis/crds';

/**
 * Everything the gate decides from, at one moment. A snapshot is never mutated: a change
 * produces a new snapshot with a new version, so a session can keep the one it started with.
 */
export interface PolicySnapshot {
  dataSources: DataSource[];
  policies: AccessPolicy[];
  /** Secret data by secret name, values decoded to strings. Kept in memory only. */
  secrets: Map<string, Record<string, string>>;
  /** Changes whenever anything in the snapshot changes (ETag-like). */
  version: string;
  /**
   * Pods sharing each row-limited policy's rows-per-minute limit, by policy name (the
   * operator counts the pods the policy selects). Absent in standalone mode: one gate alone.
   */
  rowShares?: ReadonlyMap<string, number>;
}

/**
 * Where DataSources, AccessPolicies and Secrets come from: YAML files in standalone mode, the
 * operator's policy bundle in Kubernetes mode.
 */
export interface PolicySource {
  /** First load. Throws when nothing can be loaded, so the gate fails closed. */
  start(): Promise<PolicySnapshot>;
  /** The latest snapshot; only valid after start() resolved. */
  current(): PolicySnapshot;
  /** Calls listener with every new snapshot after start(); returns the unsubscribe function. */
  onChange(listener: (next: PolicySnapshot) => void): () => void;
  /** Stops watching for changes; current() keeps returning the last snapshot. */
  stop(): Promise<void>;
}
