import type { JsonPatchOp } from './json-patch.js';

// AdmissionReview admission.k8s.io/v1, the envelope the API server sends to webhooks and
// expects back with the same uid.
// https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#request

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  userInfo: UserInfo;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message: string };
  /** base64 of the JSON patch; only with patchType JSONPatch. */
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

/** An AdmissionReview body that is not one; answered with HTTP 400. */
export class MalformedReviewError extends Error {
  override name = 'MalformedReviewError';
}

const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/** Checks the shape of an AdmissionReview body and returns its request. */
export function readAdmissionRequest(body: unknown): AdmissionRequest {
  if (typeof body !== 'object' || body === null) {
    throw new MalformedReviewError('the body is not a JSON object');
  }
  const review = body as Partial<AdmissionReview>;
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') {
    throw new MalformedReviewError('expected an admission.k8s.io/v1 AdmissionReview');
  }
  const request = review.request;
  if (typeof request !== 'object' || request === null) {
    throw new MalformedReviewError('the AdmissionReview has no request');
  }
  if (typeof request.uid !== 'string' || request.uid === '') {
    throw new MalformedReviewError('the request has no uid');
  }
  if (!OPERATIONS.includes(request.operation)) {
    throw new MalformedReviewError('the request has no known operation');
  }
  if (typeof request.kind?.kind !== 'string') {
    throw new MalformedReviewError('the request has no kind');
  }
  if (typeof request.userInfo !== 'object' || request.userInfo === null) {
    throw new MalformedReviewError('the request has no userInfo');
  }
  return request;
}

/** What a handler decides, before the uid and envelope are added. */
export type AdmissionVerdict =
  | { allowed: true; patch?: JsonPatchOp[]; warnings?: string[] }
  | { allowed: false; code: number; message: string; reason?: string };

export const allow = (warnings?: string[]): AdmissionVerdict =>
  warnings === undefined || warnings.length === 0 ? { allowed: true } : { allowed: true, warnings };

/** A refusal; the message reaches whoever made the request (kubectl prints it). */
export const refuse = (message: string, code = 403): AdmissionVerdict => ({
  allowed: false,
  code,
  message,
  reason: STATUS_REASONS[code] ?? 'BadRequest',
});

// metav1.StatusReason values for the codes the webhooks answer with.
const STATUS_REASONS: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/** Wraps a verdict in the AdmissionReview the API server expects, echoing the request uid. */
export function admissionReview(uid: string, verdict: AdmissionVerdict): AdmissionReview {
  const response: AdmissionResponse = { uid, allowed: verdict.allowed };
  if (!verdict.allowed) {
    response.status = {
      code: verdict.code,
      message: verdict.message,
      ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
    };
  } else {
    if (verdict.patch !== undefined && verdict.patch.length > 0) {
      response.patchType = 'JSONPatch';
      response.patch = Buffer.from(JSON.stringify(verdict.patch)).toString('base64');
    }
    if (verdict.warnings !== undefined) response.warnings = verdict.warnings;
  }
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}
