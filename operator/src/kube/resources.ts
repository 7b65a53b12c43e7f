import { API_GROUP, API_VERSION } from '@portcullis/crds';

/** Where a kind lives in the REST API. */
export interface Resource {
  group: string; // '' for the core group
  version: string;
  plural: string;
  kind: string;
}

export const Resources = {
  dataSources: {
    group: API_GROUP,
    version: API_VERSION,
    plural: 'datasources',
    kind: 'DataSource',
  },
  accessPolicies: {
    group: API_GROUP,
    version: API_VERSION,
    plural: 'accesspolicies',
    kind: 'AccessPolicy',
  },
  accessRequests: {
    group: API_GROUP,
    version: API_VERSION,
    plural: 'accessrequests',
    kind: 'AccessRequest',
  },
  pods: { group: '', version: 'v1', plural: 'pods', kind: 'Pod' },
  secrets: { group: '', version: 'v1', plural: 'secrets', kind: 'Secret' },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease' },
  events: { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event' },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment' },
  statefulSets: { group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet' },
  daemonSets: { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet' },
} as const satisfies Record<string, Resource>;

/** The apiVersion string of a resource, as objects carry it. */
export function apiVersionOf(resource: Resource): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/**
 * The REST path of a collection (no namespace: across all namespaces) or of one object,
 * optionally a subresource such as `status`.
 */
export function resourcePath(
  resource: Resource,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  const prefix = resource.group === '' ? '/api/v1' : `/apis/${resource.group}/${resource.version}`;
  let path = namespace === undefined ? prefix : `${prefix}/namespaces/${enc(namespace)}`;
  path += `/${resource.plural}`;
  if (name !== undefined) path += `/${enc(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
