import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { FilePolicySource, loadPolicyDirectory, PolicyFilesError } from './file-source.js';
import type { PolicySnapshot } from './policy-source.js';

const logger = pino({ level: 'silent' });
let dir: string;

const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'minter' },
  data: { username: Buffer.from('minter').toString('base64') },
  stringData: { password: 'from-string-data' },
};
const dataSource = {
  apiVersion: 'portcullis.dev/v1alpha1',
  kind: 'DataSource',
  metadata: { name: 'orders' },
  spec: {
    host: '127.0.0.1',
    database: 'orders',
    minter: { secretRef: { name: 'minter' }, grantableRoles: ['orders_reader'] },
  },
};
const policy = (ttl = '5m') => ({
  apiVersion: 'portcullis.dev/v1alpha1',
  kind: 'AccessPolicy',
  metadata: { name: 'reports' },
  spec: {
    dataSourceRef: { name: 'orders' },
    workloadSelector: {},
    subjects: [{ serviceAccount: { name: 'reports' } }],
    grant: { role: 'orders_reader', ttl },
  },
});

const yaml = (...docs: unknown[]) => docs.map((doc) => stringify(doc)).join('---\n');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-file-source-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadPolicyDirectory', () => {
  it('reads every manifest file, with Secret values decoded and references across files', async () => {
    await writeFile(join(dir, 'secret.yaml'), yaml(secret));
    await writeFile(join(dir, 'orders.yml'), yaml(dataSource, policy()));
    await writeFile(join(dir, 'README.md'), 'not a manifest');

    const snapshot = await loadPolicyDirectory(dir);
    expect(snapshot.dataSources.map((ds) => ds.metadata.name)).toEqual(['orders']);
    expect(snapshot.policies[0]?.spec.grant.ttl).toBe('5m');
    expect(snapshot.secrets.get('minter')).toEqual({
      username: 'minter',
      password: 'from-string-data',
    });
  });

  it('fails closed, listing every problem of every file', async () => {
    await writeFile(join(dir, 'a.yaml'), yaml(secret, { ...dataSource, spec: { host: '' } }));
    await writeFile(join(dir, 'b.yaml'), yaml(policy('forever')));

    const failure = loadPolicyDirectory(dir);
    await expect(failure).rejects.toBeInstanceOf(PolicyFilesError);
    await expect(failure).rejects.toThrow(/a\.yaml:[\s\S]*spec\.database[\s\S]*b\.yaml:[\s\S]*ttl/);
  });

  it('refuses a policy whose DataSource is in no file', async () => {
    await writeFile(join(dir, 'policy.yaml'), yaml(policy()));
    await expect(loadPolicyDirectory(dir)).rejects.toThrow(/missing/);
  });

  it('refuses a directory that does not exist', async () => {
    await expect(loadPolicyDirectory(join(dir, 'nope'))).rejects.toThrow(/cannot read/);
  });
});

describe('FilePolicySource', () => {
  it('announces a changed file, and an invalid one as an empty snapshot', async () => {
    await writeFile(join(dir, 'all.yaml'), yaml(secret, dataSource, policy('5m')));
    const source = new FilePolicySource({ dir, logger, debounceMs: 20 });
    const first = await source.start();
    const changes: PolicySnapshot[] = [];
    const next = () =>
      new Promise<PolicySnapshot>((resolve) => {
        const off = source.onChange((snapshot) => {
          off();
          changes.push(snapshot);
          resolve(snapshot);
        });
      });

    try {
      const changed = next();
      await writeFile(join(dir, 'all.yaml'), yaml(secret, dataSource, policy('10m')));
      const second = await changed;
      expect(second.version).not.toBe(first.version);
      expect(second.policies[0]?.spec.grant.ttl).toBe('10m');
      expect(source.current()).toBe(second);

      const broken = next();
      await writeFile(join(dir, 'all.yaml'), 'kind: [');
      const third = await broken;
      expect(third.dataSources).toEqual([]);
      expect(third.policies).toEqual([]);
    } finally {
      await source.stop();
    }
  });
});
