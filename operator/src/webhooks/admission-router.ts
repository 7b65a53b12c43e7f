import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { mutateAccessRequest, validateAccessRequest } from './access-request-admission.js';
import {
  admissionReview,
  MalformedReviewError,
  readAdmissionRequest,
  refuse,
  type AdmissionRequest,
  type AdmissionVerdict,
} from './admission-review.js';
import type { CacheView } from './cache-view.js';
import { HttpsMetrics } from './https-metrics.js';
import { validateGatedPod } from './gated-pod-validation.js';
import { admitPod } from './pod-admission.js';
import type { PodPatchConfig } from './pod-patch.js';
import { validateAccessPolicy, validateDataSource } from './resource-validation.js';

export interface AdmissionRouterOptions {
  cache: CacheView;
  metrics?: HttpsMetrics;
  patchConfig: () => PodPatchConfig;
  log: Logger;
  now?: () => Date;
}

/** The admission webhook paths the webhook configurations name, as an express router. */
export function admissionRouter(options: AdmissionRouterOptions): express.Router {
  const { cache, log } = options;
  const metrics = options.metrics ?? new HttpsMetrics();
  const router = express.Router();
  // The API server caps a request body at 3 MiB; an AdmissionReview wraps one object twice.
  router.use(express.json({ limit: '8mb' }));

  const route = (path: string, decide: (request: AdmissionRequest) => AdmissionVerdict) =>
    router.post(path, (req, res) =>
      answer(req, res, decide, log.child({ webhook: path }), (verdict) =>
        metrics.admissions.inc({ webhook: path, verdict }),
      ),
    );

  route('/mutate-pods', (r) => admitPod(r, { cache, patchConfig: options.patchConfig, log }));
  route('/validate-pods', (r) => validateGatedPod(r));
  route('/mutate-accessrequests', (r) => mutateAccessRequest(r));
  route('/validate-accessrequests', (r) => validateAccessRequest(r, cache, options.now));
  route('/validate-datasources', (r) => validateDataSource(r, cache));
  route('/validate-accesspolicies', (r) => validateAccessPolicy(r, cache));
  return router;
}

function answer(
  req: Request,
  res: Response,
  decide: (request: AdmissionRequest) => AdmissionVerdict,
  log: Logger,
  count: (verdict: 'allowed' | 'patched' | 'refused' | 'error') => void,
): void {
  let request: AdmissionRequest;
  try {
    request = readAdmissionRequest(req.body);
  } catch (err) {
    if (!(err instanceof MalformedReviewError)) throw err;
    res.status(400).json({ message: `malformed AdmissionReview: ${err.message}` });
    return;
  }

  // Objects are never logged: a pod spec or a Secret reference may carry sensitive values.
  const context = {
    uid: request.uid,
    operation: request.operation,
    kind: request.kind.kind,
    namespace: request.namespace,
    name: request.name,
    user: request.userInfo.username,
  };
  let verdict: AdmissionVerdict;
  try {
    verdict = decide(request);
    count(!verdict.allowed ? 'refused' : verdict.patch?.length ? 'patched' : 'allowed');
  } catch (err) {
    log.error({ ...context, err }, 'admission handler failed');
    verdict = refuse('internal error in the Portcullis webhook; see the operator log', 500);
    count('error');
  }
  if (!verdict.allowed) log.info({ ...context, reason: verdict.message }, 'admission refused');
  res.json(admissionReview(request.uid, verdict));
}
