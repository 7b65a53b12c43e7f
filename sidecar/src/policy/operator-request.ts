import { readFile } from 'node:fs/promises';
import https from 'node:https';

/** How the sidecar reaches the operator: its URL, the CA that signs it, and the pod's token. */
export interface OperatorEndpoint {
  /** Base URL, e.g. https://portcullis.portcullis-system.svc:443. */
  url: string;
  /** The projected service-account token; reread before every request (kubelet rotates it). */
  tokenFile: string;
  /** PEM CA bundle of the operator's certificate. */
  ca: string | undefined;
}

/** The operator could not be asked, or answered with something unusable. */
export class OperatorRequestError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OperatorRequestError';
  }
}

export interface OperatorAnswer {
  status: number;
  body: string;
}

/**
 * One HTTPS request to the operator with the pod's current token as bearer. Never logs or
 * returns the token; an empty token file (a rotation caught mid-write) is an error.
 */
export async function operatorRequest(
  endpoint: OperatorEndpoint,
  path: string,
  options: {
    method?: 'GET' | 'POST';
    query?: Record<string, string>;
    headers?: Record<string, string>;
    body?: unknown;
    signal: AbortSignal;
  },
): Promise<OperatorAnswer> {
  const token = (await readFile(endpoint.tokenFile, 'utf8')).trim();
  if (token === '') throw new OperatorRequestError(`token file ${endpoint.tokenFile} is empty`);
  const url = new URL(path, endpoint.url);
  for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    ...options.headers,
    authorization: `Bearer ${token}`,
    accept: 'application/json',
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  };

  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: options.method ?? 'GET', headers, ca: endpoint.ca, signal: options.signal },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) =>
      reject(new OperatorRequestError(`${options.method ?? 'GET'} ${path} failed`, { cause: err })),
    );
    req.end(body);
  });
}

/** The `message` of an operator's JSON error body, or the start of the text. */
export function answerMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: fall through to the start of the text.
  }
  return body.slice(0, 200);
}
