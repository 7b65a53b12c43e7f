import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { Backoff } from './backoff.js';
import { Informer, type InformerEvent } from './informer.js';
import { KubeClient } from './rest-client.js';
import { Resources } from './resources.js';
import type { KubeObject } from './store.js';

// A scripted stand-in for the API server's list and watch of one collection: each request
// takes the next answer of its kind, so the test states exactly what the server says when.

type WatchAnswer = { lines: object[]; end: 'close' | 'hold' } | { status: number; body: object };

interface Script {
  lists: { resourceVersion: string; items: KubeObject[] }[];
  watches: WatchAnswer[];
}

function obj(name: string, resourceVersion: string): KubeObject {
  return { metadata: { name, namespace: 'shop', resourceVersion } };
}

async function fakeApiServer(script: Script) {
  const requests: URL[] = [];
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(url);
    if (url.searchParams.get('watch') !== 'true') {
      const list = script.lists.shift();
      if (list === undefined) return void res.writeHead(500).end();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end(
        JSON.stringify({ metadata: { resourceVersion: list.resourceVersion }, items: list.items }),
      );
    }
    const watch = script.watches.shift() ?? { lines: [], end: 'hold' };
    if ('status' in watch) {
      res.writeHead(watch.status, { 'Content-Type': 'application/json' });
      return void res.end(JSON.stringify(watch.body));
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    for (const line of watch.lines) res.write(`${JSON.stringify(line)}\n`);
    if (watch.end === 'close') res.end();
    else held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const config = new KubeConfig();
  config.loadFromOptions({
    // client-node refuses plain http unless told not to verify TLS (there is none here).
    clusters: [
      {
        name: 'c',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return {
    client: new KubeClient(config),
    requests,
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function describeEvent(event: InformerEvent<KubeObject>): string {
  return `${event.type} ${event.object.metadata?.name}@${event.object.metadata?.resourceVersion}`;
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Informer', () => {
  const gone = {
    kind: 'Status',
    code: 410,
    reason: 'Expired',
    message: 'too old resource version',
  };

  it('lists, watches from the list resourceVersion, and relists after a 410 event', async () => {
    const api = await fakeApiServer({
      lists: [
        { resourceVersion: '10', items: [obj('a', '5'), obj('b', '6')] },
        { resourceVersion: '30', items: [obj('a', '5'), obj('c', '25')] },
      ],
      watches: [
        {
          lines: [
            { type: 'MODIFIED', object: obj('a', '11') },
            { type: 'ERROR', object: gone },
          ],
          end: 'hold',
        },
      ],
    });
    const informer = new Informer({ client: api.client, resource: Resources.dataSources });
    const events: string[] = [];
    informer.onEvent((event) => events.push(describeEvent(event)));

    informer.start();
    await informer.waitForSync();
    await until(() => api.requests.length >= 4);
    await informer.stop();
    await api.close();

    const [list, watch, relist, rewatch] = api.requests;
    expect(list?.searchParams.get('watch')).toBeNull();
    expect(watch?.searchParams.get('resourceVersion')).toBe('10');
    expect(watch?.searchParams.get('allowWatchBookmarks')).toBe('true');
    expect(relist?.searchParams.get('watch')).toBeNull();
    expect(rewatch?.searchParams.get('resourceVersion')).toBe('30');
    // The relist finds b gone and c new, and a back at the listed version.
    expect(events).toEqual([
      'add a@5',
      'add b@6',
      'update a@11',
      'delete b@6',
      'update a@5',
      'add c@25',
    ]);
    expect(
      informer.store
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['a', 'c']);
  });

  it('relists when the watch request itself answers 410 Gone', async () => {
    const api = await fakeApiServer({
      lists: [
        { resourceVersion: '10', items: [] },
        { resourceVersion: '40', items: [obj('z', '39')] },
      ],
      watches: [{ status: 410, body: gone }],
    });
    const informer = new Informer({ client: api.client, resource: Resources.dataSources });
    informer.start();
    await until(() => informer.store.size === 1);
    await until(() => api.requests.length >= 4);
    await informer.stop();
    await api.close();
    expect(api.requests[3]?.searchParams.get('resourceVersion')).toBe('40');
  });

  it('resumes from the last bookmark when the server ends a watch, without relisting', async () => {
    const api = await fakeApiServer({
      lists: [{ resourceVersion: '10', items: [] }],
      watches: [
        {
          lines: [{ type: 'BOOKMARK', object: { metadata: { resourceVersion: '17' } } }],
          end: 'close',
        },
      ],
    });
    const informer = new Informer({ client: api.client, resource: Resources.dataSources });
    informer.start();
    await until(() => api.requests.length >= 3);
    await informer.stop();
    await api.close();
    expect(api.requests[2]?.searchParams.get('watch')).toBe('true');
    expect(api.requests[2]?.searchParams.get('resourceVersion')).toBe('17');
  });

  it('reports a failing list and retries it with backoff', async () => {
    const api = await fakeApiServer({ lists: [], watches: [] }); // every list answers 500
    const informer = new Informer({
      client: api.client,
      resource: Resources.dataSources,
      backoff: new Backoff({ initialMs: 10, maxMs: 20 }),
    });
    const errors: unknown[] = [];
    informer.onError((err) => errors.push(err));
    informer.start();
    await until(() => errors.length >= 3);
    await informer.stop();
    await api.close();
    expect(informer.synced).toBe(false);
    expect(String(errors[0])).toContain('500');
  });

  it('keeps objects its decoder refuses out of the store and reports them', async () => {
    const api = await fakeApiServer({
      lists: [{ resourceVersion: '10', items: [obj('good', '1'), obj('bad', '2')] }],
      watches: [],
    });
    const informer = new Informer<KubeObject>({
      client: api.client,
      resource: Resources.dataSources,
      decode: (raw) => {
        if (raw.metadata?.name === 'bad') throw new Error('schema says no');
        return raw;
      },
    });
    const invalid: string[] = [];
    informer.onInvalid(({ raw }) => invalid.push(raw.metadata?.name ?? ''));
    informer.start();
    await informer.waitForSync();
    await informer.stop();
    await api.close();
    expect(informer.store.list().map((o) => o.metadata?.name)).toEqual(['good']);
    expect(invalid).toEqual(['bad']);
  });

  it('relists on its timer even while the watch is quiet', async () => {
    const api = await fakeApiServer({
      lists: [
        { resourceVersion: '10', items: [] },
        { resourceVersion: '11', items: [obj('late', '11')] },
      ],
      watches: [],
    });
    const informer = new Informer({
      client: api.client,
      resource: Resources.dataSources,
      relistIntervalMs: 50,
    });
    informer.start();
    await until(() => informer.store.size === 1);
    await informer.stop();
    await api.close();
    expect(api.requests.filter((u) => u.searchParams.get('watch') === null).length).toBe(2);
  });
});
