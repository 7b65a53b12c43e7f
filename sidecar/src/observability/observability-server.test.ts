import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { GateMetrics } from './gate-metrics.js';
import { createGateMetrics } from './gate-metrics.js';
import type { Readiness } from './observability-server.js';
import { ObservabilityServer } from './observability-server.js';

describe('ObservabilityServer', () => {
  let metrics: GateMetrics;
  let readiness: () => Readiness;
  let server: ObservabilityServer;
  let base: string;

  beforeEach(async () => {
    metrics = createGateMetrics();
    readiness = () => ({ ready: false, reasons: ['policies not loaded'] });
    server = new ObservabilityServer({
      registry: metrics.registry,
      readiness: () => readiness(),
      logger: pino({ level: 'silent' }),
    });
    base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
  });

  afterEach(() => server.close());

  it('answers /healthz while the process runs', async () => {
    const response = await fetch(`${base}/healthz`);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok\n');
  });

  it('reports not ready with the reasons, then ready once the callback says so', async () => {
    const before = await fetch(`${base}/readyz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({
      status: 'not ready',
      reasons: ['policies not loaded'],
    });

    readiness = () => ({ ready: true });
    const after = await fetch(`${base}/readyz`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: 'ready' });
  });

  it('reports not ready when the readiness callback throws', async () => {
    readiness = () => {
      throw new Error('listener state unknown');
    };

    const response = await fetch(`${base}/readyz`);

    expect(response.status).toBe(503);
    expect(JSON.stringify(await response.json())).not.toContain('listener state unknown');
  });

  it('serves the gate metrics in the Prometheus text format', async () => {
    metrics.sessionsTotal.inc({ data_source: 'orders', outcome: 'admitted' });
    metrics.sessionsActive.labels('orders').inc();
    metrics.relayedBytes.labels('orders', 'server_to_client').inc(1234);
    metrics.mintDuration.observe({ data_source: 'orders' }, 0.012);

    const response = await fetch(`${base}/metrics`);
    const text = await response.text();

    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(text).toContain('portcullis_sessions_total{data_source="orders",outcome="admitted"} 1');
    expect(text).toContain('portcullis_sessions_active{data_source="orders"} 1');
    expect(text).toContain(
      'portcullis_relayed_bytes_total{data_source="orders",direction="server_to_client"} 1234',
    );
    expect(text).toContain(
      'portcullis_mint_duration_seconds_bucket{le="0.025",data_source="orders"} 1',
    );
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    expect((await fetch(`${base}/`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('createGateMetrics', () => {
  it('defines every gate metric in a registry of its own', async () => {
    const first = createGateMetrics({ processMetrics: false });
    const second = createGateMetrics({ processMetrics: false });

    const names = (await first.registry.getMetricsAsJSON()).map((m) => m.name).sort();

    expect(names).toEqual([
      'portcullis_approvals_total',
      'portcullis_mint_duration_seconds',
      'portcullis_relayed_bytes_total',
      'portcullis_rows_masked_total',
      'portcullis_session_duration_seconds',
      'portcullis_sessions_active',
      'portcullis_sessions_total',
      'portcullis_statements_total',
    ]);
    first.approvalsTotal.inc({ data_source: 'orders', outcome: 'approved' });
    expect(await second.registry.metrics()).not.toContain('outcome="approved"');
  });
});
