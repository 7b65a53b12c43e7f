import { Counter, Registry } from 'prom-client';
import type { NextFunction, Request, Response } from 'express';

/** Counters of the HTTPS server, exported on the operator's /metrics. */
export class HttpsMetrics {
  readonly admissions: Counter<'webhook' | 'verdict'>;
  readonly requests: Counter<'route' | 'code'>;

  constructor(registry: Registry = new Registry()) {
    this.admissions = new Counter({
      name: 'portcullis_operator_admissions_total',
      help: 'Admission reviews by webhook path and verdict (allowed, patched, refused, error).',
      labelNames: ['webhook', 'verdict'],
      registers: [registry],
    });
    this.requests = new Counter({
      name: 'portcullis_operator_https_requests_total',
      help: 'HTTPS requests by route (webhooks, bundle, approvals) and status code.',
      labelNames: ['route', 'code'],
      registers: [registry],
    });
  }

  /** Express middleware counting every answered request by its matched route. */
  countRequests() {
    return (req: Request, res: Response, next: NextFunction): void => {
      res.on('finish', () => {
        // The route pattern, not the URL: /v1/approvals/:name must not mint a label per name.
        const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
        this.requests.inc({ route: String(route), code: String(res.statusCode) });
      });
      next();
    };
  }
}
