import { API_GROUP, API_VERSION, type AccessRequest } from '@portcullis/crds';
import type { KubeClient } from '../kube/rest-client.js';

/** An AccessRequest before the API server names it (metadata.generateName instead). */
export type NewAccessRequest = Omit<AccessRequest, 'metadata' | 'status'> & {
  metadata: { generateName: string; namespace: string; labels?: Record<string, string> };
};

/** Creates AccessRequests; the seam tests replace. */
export interface AccessRequestWriter {
  /** Creates the request and returns it as stored, with its generated name. */
  create(request: NewAccessRequest): Promise<AccessRequest>;
}

/** Creates AccessRequests through the API server, so the admission webhooks see them. */
export class KubeAccessRequestWriter implements AccessRequestWriter {
  constructor(private readonly client: Pick<KubeClient, 'request'>) {}

  create(request: NewAccessRequest): Promise<AccessRequest> {
    const namespace = encodeURIComponent(request.metadata.namespace);
    return this.client.request<AccessRequest>(
      `/apis/${API_GROUP}/${API_VERSION}/namespaces/${namespace}/accessrequests`,
      { method: 'POST', body: request },
    );
  }
}
