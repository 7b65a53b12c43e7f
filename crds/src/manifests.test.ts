import { stringify } from 'yaml';
import { validAccessPolicy, validDataSource } from './broken-manifests.js';
import { formatManifestProblems, parseManifests } from './manifests.js';

const minterSecret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'orders-minter' },
  stringData: { username: 'portcullis_minter', password: 'secret' },
};

const yamlOf = (...docs: unknown[]) => docs.map((d) => stringify(d)).join('---\n');

describe('parseManifests', () => {
  it('parses every document, skipping empty ones', () => {
    const text = `---\n${yamlOf(validDataSource(), validAccessPolicy())}---\n`;
    const result = parseManifests(text);
    expect(result.ok && result.resources.map((r) => r.kind)).toEqual([
      'DataSource',
      'AccessPolicy',
    ]);
  });

  it('reports each problem with its document index, kind and name', () => {
    const broken = validAccessPolicy();
    (broken['spec'] as Record<string, unknown>)['grant'] = { role: 'orders_reader', ttl: '5d' };
    const result = parseManifests(yamlOf(validDataSource(), broken));

    expect(result).toEqual({
      ok: false,
      problems: [
        {
          document: 1,
          kind: 'AccessPolicy',
          name: 'nightly-report',
          path: 'spec.grant.ttl',
          message: 'must be a duration such as 30s, 5m, 1h or 1h30m (units ms, s, m, h)',
        },
      ],
    });
    expect(!result.ok && formatManifestProblems(result.problems)).toBe(
      'document 1 (AccessPolicy nightly-report) spec.grant.ttl: must be a duration such as ' +
        '30s, 5m, 1h or 1h30m (units ms, s, m, h)',
    );
  });

  it('reports a YAML syntax error and a duplicate key, with their line', () => {
    const result = parseManifests('kind: [unclosed\n---\nkind: a\nkind: b\n');
    expect(
      !result.ok && result.problems.map((p) => [p.document, p.message.split('\n')[0]]),
    ).toEqual([
      [0, expect.stringMatching(/line 2/)],
      [1, expect.stringMatching(/unique/)],
    ]);
  });

  it('reports an alias bomb instead of expanding it', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const result = parseManifests(levels.join('\n'));
    expect(!result.ok && result.problems).toEqual([
      { document: 0, path: '', message: expect.stringMatching(/alias/i) as unknown },
    ]);
  });

  it('refuses two objects of the same kind, namespace and name', () => {
    const result = parseManifests(yamlOf(validDataSource(), validDataSource('default')));
    expect(!result.ok && result.problems).toEqual([
      {
        document: 1,
        kind: 'DataSource',
        name: 'orders',
        path: 'metadata.name',
        message: 'duplicate of document 0: same kind, namespace and name',
      },
    ]);
  });

  describe('with documents of other kinds', () => {
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'report' }, spec: {} };

    it('refuses them by default', () => {
      const result = parseManifests(yamlOf(job));
      expect(!result.ok && result.problems[0]).toMatchObject({
        document: 0,
        kind: 'Job',
        path: 'kind',
      });
    });

    it('skips them when asked, but never a misspelt kind of our group or an untyped document', () => {
      const typo = {
        apiVersion: 'portcullis.dev/v1alpha1',
        kind: 'Datasource',
        metadata: { name: 'x' },
      };
      const untyped = { metadata: { name: 'y' } };

      expect(parseManifests(yamlOf(job, validDataSource()), { foreign: 'skip' })).toEqual({
        ok: true,
        resources: [expect.objectContaining({ kind: 'DataSource' })],
        skipped: [{ document: 0, apiVersion: 'batch/v1', kind: 'Job', name: 'report' }],
      });
      const result = parseManifests(yamlOf(job, typo, untyped), { foreign: 'skip' });
      expect(!result.ok && result.problems.map((p) => [p.document, p.path])).toEqual([
        [1, 'kind'],
        [2, 'apiVersion'],
      ]);
    });
  });

  describe('checking references', () => {
    it('accepts a set that holds everything it names', () => {
      const text = yamlOf(minterSecret, validDataSource(), validAccessPolicy());
      expect(parseManifests(text, { checkReferences: true }).ok).toBe(true);
    });

    it('reports a missing DataSource, Secret, Secret key and an ungrantable role', () => {
      const otherRole = validAccessPolicy();
      otherRole['metadata'] = { name: 'admin' };
      (otherRole['spec'] as Record<string, unknown>)['grant'] = { role: 'orders_owner' };
      const elsewhere = validAccessPolicy('shop');
      const noPassword = { ...minterSecret, stringData: { username: 'portcullis_minter' } };

      const result = parseManifests(
        yamlOf(noPassword, validDataSource(), otherRole, elsewhere, validDataSource('test')),
        { checkReferences: true },
      );
      expect(!result.ok && formatManifestProblems(result.problems).split('\n')).toEqual([
        'document 1 (DataSource orders) spec.minter.secretRef: Secret orders-minter has no key password',
        'document 2 (AccessPolicy admin) spec.grant.role: role orders_owner is not among the grantableRoles of DataSource orders',
        'document 3 (AccessPolicy nightly-report) spec.dataSourceRef.name: no DataSource named orders in this namespace',
        'document 4 (DataSource orders) spec.minter.secretRef: no Secret named orders-minter in this namespace',
      ]);
    });
  });
});
