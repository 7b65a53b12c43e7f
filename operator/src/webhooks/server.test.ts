import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { ServingMaterial, ServingTls } from '../tls/serving-tls.js';
import { nextTlsData } from '../tls/tls-rotation.js';
import { MemoryCache } from './memory-cache.js';
import { startHttpsServer, type RunningHttpsServer } from './server.js';
import { httpsJson, patchConfig } from './test-fixtures.js';

const log = pino({ level: 'silent' });

async function material(): Promise<ServingMaterial> {
  const data = (await nextTlsData(undefined, ['127.0.0.1'], new Date()))!;
  return { certPem: data['tls.crt'], keyPem: data['tls.key'], caPem: data['ca.crt'] };
}

/** A ServingTls whose material the test swaps. */
class SwappableTls implements ServingTls {
  private listeners = new Set<(m: ServingMaterial) => void>();
  constructor(private material: ServingMaterial) {}
  start = () => Promise.resolve();
  stop = () => Promise.resolve();
  current = () => this.material;
  onChange(listener: (m: ServingMaterial) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  swap(next: ServingMaterial) {
    this.material = next;
    for (const listener of this.listeners) listener(next);
  }
}

let running: RunningHttpsServer;
let tls: SwappableTls;
let first: ServingMaterial;
let registry: Registry;

beforeEach(async () => {
  first = await material();
  tls = new SwappableTls(first);
  registry = new Registry();
  running = await startHttpsServer({
    registry,
    port: 0,
    host: '127.0.0.1',
    tls,
    cache: new MemoryCache(),
    client: { request: () => Promise.reject(new Error('no API server in unit tests')) },
    patchConfig: patchConfig(),
    log,
  });
});

afterEach(async () => {
  await running.close();
});

const call = (ca: string) =>
  httpsJson(`https://127.0.0.1:${running.port}/nowhere`, { ca }).then((r) => r.status);

describe('startHttpsServer', () => {
  it('answers unknown paths with a JSON 404', async () => {
    const res = await httpsJson(`https://127.0.0.1:${running.port}/nowhere`, { ca: first.caPem! });
    expect(res).toMatchObject({ status: 404, body: { message: 'not found' } });
  });

  it('counts admissions by verdict and requests by route', async () => {
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u1',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        operation: 'CREATE',
        namespace: 'shop',
        userInfo: { username: 'alice' },
        object: { metadata: { labels: {} }, spec: { containers: [] } },
      },
    };
    const url = `https://127.0.0.1:${running.port}/mutate-pods`;
    await httpsJson(url, { ca: first.caPem!, method: 'POST', body: review });

    const text = await registry.metrics();
    expect(text).toContain(
      'portcullis_operator_admissions_total{webhook="/mutate-pods",verdict="allowed"} 1',
    );
    expect(text).toContain(
      'portcullis_operator_https_requests_total{route="/mutate-pods",code="200"} 1',
    );
  });

  it('serves a rotated certificate to new connections without a restart', async () => {
    const second = await material();
    tls.swap(second);
    expect(await call(second.caPem!)).toBe(404);
    await expect(call(first.caPem!)).rejects.toThrow(/self.signed|unable to verify|signature/i);
  });

  it('keeps the old pair when a certificate arrives with a key that does not match', async () => {
    const second = await material();
    tls.swap({ ...second, keyPem: first.keyPem });
    expect(await call(first.caPem!)).toBe(404);
  });
});
