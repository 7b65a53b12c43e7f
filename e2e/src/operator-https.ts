import { request } from 'node:https';

/** One answer of the operator's HTTPS API (bundles, approvals). */
export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/**
 * Calls the operator as a sidecar does: bearer = the pod's projected token, server
 * certificate checked against the CA the webhook injected.
 */
export function callOperator(
  url: string,
  options: {
    ca: string;
    token: string;
    method?: string;
    body?: unknown;
    headers?: Record<string, string>;
  },
): Promise<HttpsAnswer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        ca: options.ca,
        headers: {
          authorization: `Bearer ${options.token}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.once('end', () => {
          let body: unknown = text;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            // Not JSON: keep the text for the assertion message.
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.setTimeout(90_000, () => req.destroy(new Error(`${url} timed out`)));
    req.once('error', reject);
    req.end(payload);
  });
}
