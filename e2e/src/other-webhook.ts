import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSelfSignedCertificate } from '@portcullis/testkit';
import type { KubeObject } from './kube-api.js';

/** Label that makes the other webhook act on a pod. */
export const OTHER_WEBHOOK_LABEL = 'e2e.portcullis.dev/log-shipper';

/** Another team's mutating webhook: it adds a log-shipper container to pods that ask. */
export interface OtherWebhook {
  /** The MutatingWebhookConfiguration that registers it (named to run after Portcullis). */
  configuration: KubeObject;
  close(): Promise<void>;
}

/**
 * Starts an HTTPS admission webhook on loopback that appends a `log-shipper` container to
 * labelled pods. The API server calls it after the Portcullis webhook (configurations run in
 * name order) and, because it changed the pod, calls Portcullis again: its
 * reinvocationPolicy is IfNeeded.
 */
export async function startOtherWebhook(dir: string): Promise<OtherWebhook> {
  const certificate = await createSelfSignedCertificate(dir);
  const server: Server = createServer(
    { cert: certificate.certPem, key: await readFile(certificate.keyFile) },
    (req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.once('end', () => {
        const review = JSON.parse(body) as { request: { uid: string; object: KubeObject } };
        const containers = (review.request.object.spec?.['containers'] ?? []) as unknown[];
        const patch = [
          {
            op: 'add',
            path: `/spec/containers/${containers.length}`,
            value: { name: 'log-shipper', image: 'registry.example/log-shipper:1' },
          },
        ];
        const response = {
          uid: review.request.uid,
          allowed: true,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
        };
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }),
        );
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const configuration: KubeObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'zz-e2e-log-shipper' },
    webhooks: [
      {
        name: 'log-shipper.e2e.portcullis.dev',
        clientConfig: {
          url: `https://127.0.0.1:${port}/mutate`,
          caBundle: Buffer.from(certificate.certPem).toString('base64'),
        },
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE'],
            resources: ['pods'],
            scope: 'Namespaced',
          },
        ],
        objectSelector: { matchLabels: { [OTHER_WEBHOOK_LABEL]: 'true' } },
        failurePolicy: 'Fail',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 5,
      },
    ],
  };
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { configuration, close };
}
