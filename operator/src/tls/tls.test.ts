import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { KubeApiError } from '../kube/rest-client.js';
import { certificateFacts, serviceSans } from './certificates.js';
import { FileTls } from './file-tls.js';
import { SelfManagedTls } from './self-managed-tls.js';
import type { ServingMaterial } from './serving-tls.js';
import { nextTlsData, splitPemBundle, TlsSecretKeys, type TlsSecretData } from './tls-rotation.js';

const log = pino({ level: 'silent' });
const DAY = 86_400_000;
const T0 = new Date('2026-01-01T00:00:00Z');
const SANS = [...serviceSans('portcullis', 'portcullis-system', ['127.0.0.1'])];

/** Serves one request over TLS with the material and returns what a client trusting ca saw. */
async function handshake(material: ServingMaterial, servername: string, ca: string) {
  const server = https.createServer({ cert: material.certPem, key: material.keyPem }, (_, res) =>
    res.end('ok'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    return await new Promise<string>((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port, servername, ca, path: '/' }, (res) => {
        res.setEncoding('utf8');
        let body = '';
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
    });
  } finally {
    server.close();
  }
}

describe('nextTlsData', () => {
  it('creates a CA and a serving certificate a client trusting the CA accepts', async () => {
    const data = (await nextTlsData(undefined, SANS, new Date()))!;
    const material = { certPem: data['tls.crt'], keyPem: data['tls.key'], caPem: data['ca.crt'] };

    expect(certificateFacts(data['tls.crt']).sans).toEqual(SANS);
    await expect(
      handshake(material, 'portcullis.portcullis-system.svc', data['ca.crt']),
    ).resolves.toBe('ok');
    await expect(handshake(material, 'elsewhere.example', data['ca.crt'])).rejects.toThrow(
      /altnames/,
    );
  });

  it('keeps a fresh certificate, and renews it 30 days before it ends', async () => {
    const first = (await nextTlsData(undefined, SANS, T0))!;
    expect(await nextTlsData(first, SANS, new Date(T0.getTime() + 300 * DAY))).toBeUndefined();

    const renewed = (await nextTlsData(first, SANS, new Date(T0.getTime() + 340 * DAY)))!;
    expect(renewed['tls.crt']).not.toBe(first['tls.crt']);
    expect(renewed['ca-signing.crt']).toBe(first['ca-signing.crt']);
    expect(certificateFacts(renewed['tls.crt']).notAfter.getTime()).toBeGreaterThan(
      T0.getTime() + 700 * DAY,
    );
  });

  it('reissues the serving certificate when a SAN is added', async () => {
    const first = (await nextTlsData(undefined, SANS, T0))!;
    const next = (await nextTlsData(first, [...SANS, 'portcullis.example'], T0))!;
    expect(certificateFacts(next['tls.crt']).sans).toContain('portcullis.example');
    expect(next['ca.key']).toBe(first['ca.key']);
  });

  it('replaces a CA near its end and keeps trusting the old one until it expires', async () => {
    const first = (await nextTlsData(undefined, SANS, T0))!;
    const late = new Date(T0.getTime() + 3300 * DAY);
    const next = (await nextTlsData(first, SANS, late))!;

    expect(next['ca-signing.crt']).not.toBe(first['ca-signing.crt']);
    const bundle = splitPemBundle(next['ca.crt']).map((pem) => pem.trim());
    expect(bundle).toEqual([next['ca-signing.crt'].trim(), first['ca-signing.crt'].trim()]);

    const afterOldExpiry = new Date(T0.getTime() + 3700 * DAY);
    const later = (await nextTlsData(next, SANS, afterOldExpiry, {
      caValidityMs: 3650 * DAY,
      servingValidityMs: 365 * DAY,
      renewCaBeforeMs: 365 * DAY,
      renewServingBeforeMs: 30 * DAY,
    }))!;
    expect(splitPemBundle(later['ca.crt'])).toHaveLength(1);
  });
});

/** A Kubernetes API holding one Secret and two webhook configurations, in memory. */
class FakeApi {
  secret: { metadata: { resourceVersion: string }; data: Record<string, string> } | undefined;
  configs = new Map<
    string,
    { webhooks: { name: string; clientConfig: { caBundle?: string } }[] }
  >();
  version = 0;

  constructor() {
    for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      this.configs.set(kind, {
        webhooks: [
          { name: 'a', clientConfig: {} },
          { name: 'b', clientConfig: {} },
        ],
      });
    }
  }

  request<T>(path: string, options: { method?: string; body?: unknown } = {}): Promise<T> {
    const method = options.method ?? 'GET';
    if (path.includes('/secrets')) {
      if (method === 'GET') {
        if (this.secret === undefined) throw new KubeApiError('not found', 404, 'NotFound');
        return Promise.resolve(structuredClone(this.secret) as T);
      }
      const body = options.body as { data: Record<string, string> };
      this.secret = { metadata: { resourceVersion: String(++this.version) }, data: body.data };
      return Promise.resolve({} as T);
    }
    const kind = path.split('/')[4]!;
    const config = this.configs.get(kind)!;
    if (method === 'GET') return Promise.resolve(structuredClone(config) as T);
    for (const op of options.body as { path: string; value: string }[]) {
      const index = Number(op.path.split('/')[2]);
      config.webhooks[index]!.clientConfig.caBundle = op.value;
    }
    return Promise.resolve({} as T);
  }
}

describe('SelfManagedTls', () => {
  it('as leader creates the Secret and patches every caBundle; a follower serves the same', async () => {
    const api = new FakeApi();
    const common = {
      client: api,
      namespace: 'portcullis-system',
      secretName: 'portcullis-tls',
      sans: SANS,
      webhookConfigName: 'portcullis',
      log,
    };
    const leader = new SelfManagedTls({ ...common, isLeader: () => true });
    const follower = new SelfManagedTls({ ...common, isLeader: () => false });
    await leader.start();
    await follower.start();

    const ca = leader.current().caPem!;
    expect(follower.current()).toEqual(leader.current());
    for (const config of api.configs.values()) {
      for (const webhook of config.webhooks) {
        expect(Buffer.from(webhook.clientConfig.caBundle!, 'base64').toString()).toBe(ca);
      }
    }
    await Promise.all([leader.stop(), follower.stop()]);
  });

  it('rotates when the clock nears expiry and tells listeners', async () => {
    const api = new FakeApi();
    let now = T0;
    const tls = new SelfManagedTls({
      client: api,
      namespace: 'ns',
      secretName: 'tls',
      sans: SANS,
      isLeader: () => true,
      log,
      now: () => now,
    });
    await tls.start();
    const first = tls.current();
    const seen: ServingMaterial[] = [];
    tls.onChange((m) => seen.push(m));

    await tls.sync();
    expect(seen).toHaveLength(0);
    now = new Date(T0.getTime() + 350 * DAY);
    await tls.sync();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.certPem).not.toBe(first.certPem);
    expect(Buffer.from(api.secret!.data[TlsSecretKeys.cert]!, 'base64').toString()).toBe(
      seen[0]!.certPem,
    );
    await tls.stop();
  });
});

describe('FileTls', () => {
  it('reads the files and reloads when they change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-tls-'));
    try {
      const write = async (d: TlsSecretData) => {
        await writeFile(join(dir, 'tls.crt'), d['tls.crt']);
        await writeFile(join(dir, 'tls.key'), d['tls.key']);
        await writeFile(join(dir, 'ca.crt'), d['ca.crt']);
      };
      const first = (await nextTlsData(undefined, SANS, T0))!;
      await write(first);
      const tls = new FileTls({
        certFile: join(dir, 'tls.crt'),
        keyFile: join(dir, 'tls.key'),
        caFile: join(dir, 'ca.crt'),
        log,
        intervalMs: 20,
      });
      await tls.start();
      try {
        expect(tls.current().caPem).toBe(first['ca.crt']);

        // Every change seen is a matching pair: a rotation read half-written is skipped.
        const second = (await nextTlsData(undefined, SANS, T0))!;
        const seen: ServingMaterial[] = [];
        const settled = new Promise<void>((resolve) =>
          tls.onChange((material) => {
            seen.push(material);
            if (material.caPem === second['ca.crt']) resolve();
          }),
        );
        await write(second);
        await settled;
        expect(tls.current().certPem).toBe(second['tls.crt']);
        for (const material of seen) {
          expect([first['tls.crt'], second['tls.crt']]).toContain(material.certPem);
          const pair = material.certPem === first['tls.crt'] ? first : second;
          expect(material.keyPem).toBe(pair['tls.key']);
        }
      } finally {
        await tls.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails to start without the files', async () => {
    const tls = new FileTls({
      certFile: '/nonexistent/tls.crt',
      keyFile: '/nonexistent/tls.key',
      log,
    });
    await expect(tls.start()).rejects.toThrow(/ENOENT/);
  });

  it('reads an empty CA file as no CA', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-tls-'));
    try {
      const pair = (await nextTlsData(undefined, SANS, T0))!;
      await writeFile(join(dir, 'tls.crt'), pair['tls.crt']);
      await writeFile(join(dir, 'tls.key'), pair['tls.key']);
      await writeFile(join(dir, 'ca.crt'), '');
      const tls = new FileTls({
        certFile: join(dir, 'tls.crt'),
        keyFile: join(dir, 'tls.key'),
        caFile: join(dir, 'ca.crt'),
        log,
        intervalMs: 60_000,
      });
      await tls.start();
      expect(tls.current()).toEqual({
        certPem: pair['tls.crt'],
        keyPem: pair['tls.key'],
        caPem: undefined,
      });
      await tls.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the last good pair when the files do not match or are cut short', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-tls-'));
    try {
      const first = (await nextTlsData(undefined, SANS, T0))!;
      const other = (await nextTlsData(undefined, SANS, T0))!;
      await writeFile(join(dir, 'tls.crt'), first['tls.crt']);
      await writeFile(join(dir, 'tls.key'), first['tls.key']);
      const tls = new FileTls({
        certFile: join(dir, 'tls.crt'),
        keyFile: join(dir, 'tls.key'),
        log,
        intervalMs: 60_000,
      });
      await tls.start();
      try {
        await writeFile(join(dir, 'tls.key'), other['tls.key']);
        await expect(tls.reload()).rejects.toThrow(/does not match/);
        await writeFile(join(dir, 'tls.crt'), '');
        await expect(tls.reload()).rejects.toThrow();
        expect(tls.current()).toMatchObject({
          certPem: first['tls.crt'],
          keyPem: first['tls.key'],
        });
      } finally {
        await tls.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
