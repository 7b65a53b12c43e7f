import type { ClusterCache } from '../kube/cache.js';

/**
 * The part of the operator's ClusterCache the webhooks, bundles and approvals read. A narrow
 * view, so tests can hand in an in-memory cache.
 */
export type CacheView = Pick<
  ClusterCache,
  | 'synced'
  | 'listPolicies'
  | 'getPolicy'
  | 'listDataSources'
  | 'getDataSource'
  | 'getAccessRequest'
  | 'getPod'
  | 'listPods'
  | 'getSecretData'
  | 'onChange'
>;
