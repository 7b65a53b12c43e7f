import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { startHealthServer, type RunningHealthServer } from './health-server.js';

describe('health server', () => {
  let server: RunningHealthServer;
  let notReady: string | undefined = 'caches not synced';
  const registry = new Registry();
  new Counter({ name: 'test_things_total', help: 'things', registers: [registry] }).inc(3);

  beforeAll(async () => {
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      registry,
      notReadyReason: () => notReady,
      log: pino({ level: 'silent' }),
    });
  });
  afterAll(() => server.close());

  const get = (path: string) => fetch(`http://127.0.0.1:${server.port}${path}`);

  it('is healthy while running', async () => {
    expect((await get('/healthz')).status).toBe(200);
  });

  it('is ready only once the process says so, and says why not', async () => {
    const before = await get('/readyz');
    expect(before.status).toBe(503);
    expect(await before.text()).toContain('caches not synced');
    notReady = undefined;
    expect((await get('/readyz')).status).toBe(200);
  });

  it('serves the registry in Prometheus text format', async () => {
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('test_things_total 3');
  });

  it('answers 404 elsewhere', async () => {
    expect((await get('/nope')).status).toBe(404);
  });
});
