import type { KubeClient } from '../kube/rest-client.js';

/** The user a TokenReview found behind a token. */
export interface ReviewedUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** Checks a bearer token with the API server. */
export interface TokenReviewer {
  /** The user the token belongs to, or undefined when the API server does not accept it. */
  review(token: string, audience: string): Promise<ReviewedUser | undefined>;
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: ReviewedUser;
  audiences?: string[];
  error?: string;
}

/**
 * TokenReview (authentication.k8s.io/v1) through the operator's client. A review that sets
 * spec.audiences must see one of them back in status.audiences, or the authenticator
 * ignored the audience and the token could be one minted for the API server.
 * https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-review-v1/
 */
export class KubeTokenReviewer implements TokenReviewer {
  constructor(private readonly client: Pick<KubeClient, 'request'>) {}

  async review(token: string, audience: string): Promise<ReviewedUser | undefined> {
    const answer = await this.client.request<{ status?: TokenReviewStatus }>(
      '/apis/authentication.k8s.io/v1/tokenreviews',
      {
        method: 'POST',
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token, audiences: [audience] },
        },
      },
    );
    const status = answer.status;
    if (status?.authenticated !== true || status.user?.username === undefined) return undefined;
    if (!(status.audiences ?? []).includes(audience)) return undefined;
    return status.user;
  }
}
