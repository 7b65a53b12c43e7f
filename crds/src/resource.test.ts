import { validAccessPolicy, validDataSource } from './broken-manifests.js';
import { formatPath, parseResource } from './resource.js';
import { secretValue } from './secret.js';

describe('parseResource', () => {
  it('fills in the defaults the CRD declares', () => {
    const result = parseResource(validDataSource());
    if (!result.ok || result.resource.kind !== 'DataSource')
      throw new Error('expected a DataSource');

    expect(result.resource.spec).toMatchObject({
      port: 5432,
      tls: { mode: 'require' },
      minter: { secretRef: { usernameKey: 'username', passwordKey: 'password' }, poolSize: 2 },
    });
  });

  it('fills nested defaults of an omitted section, as the API server does with default: {}', () => {
    const result = parseResource(validAccessPolicy());
    if (!result.ok || result.resource.kind !== 'AccessPolicy') throw new Error('expected a policy');

    expect(result.resource.spec.guardrails).toEqual({
      deny: [],
      requireWhere: true,
      tables: [],
      allowFunctions: [],
      denyFunctions: [],
      allowFunctionCall: false,
    });
    expect(result.resource.spec.masking).toEqual({ rules: [], derived: 'mask', binary: 'null' });
    expect(result.resource.spec.recording).toEqual({ enabled: true, includeRows: false });
  });

  it('reports every problem of an object, rules and types alike, each at its field', () => {
    const policy = validAccessPolicy();
    Object.assign(policy['spec'] as object, {
      subjects: [{}, 'nightly-report'],
      grant: { role: 'Reader', ttl: '2h', maxSessionDuration: '1h' },
      masking: { rules: [{ strategy: 'blur' }] },
      approval: { rules: [{ rowsOver: -1 }], approvers: {} },
      colour: 'red',
    });

    const result = parseResource(policy);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual([
      'spec.subjects[0]',
      'spec.subjects[1]',
      'spec.grant.role',
      'spec.grant.ttl',
      'spec.masking.rules[0].strategy',
      'spec.masking.rules[0]',
      'spec.approval.rules[0].rowsOver',
      'spec.approval.approvers',
      'spec.colour',
    ]);
  });

  it.each([
    [null, '', 'must be an object with apiVersion and kind'],
    [{ kind: 'DataSource' }, 'apiVersion', 'required'],
    [{ apiVersion: 'portcullis.dev/v1alpha1' }, 'kind', 'required'],
    [
      { apiVersion: 'portcullis.dev/v1', kind: 'DataSource' },
      'apiVersion',
      'unsupported DataSource of apiVersion portcullis.dev/v1: expected a DataSource, ' +
        'AccessPolicy or AccessRequest of portcullis.dev/v1alpha1, or a v1 Secret',
    ],
    [
      { apiVersion: 'portcullis.dev/v1alpha1', kind: 'AccesPolicy' },
      'kind',
      'unsupported AccesPolicy of apiVersion portcullis.dev/v1alpha1: expected a DataSource, ' +
        'AccessPolicy or AccessRequest of portcullis.dev/v1alpha1, or a v1 Secret',
    ],
  ])('refuses %j at %j', (obj, path, message) => {
    expect(parseResource(obj)).toEqual({ ok: false, problems: [{ path, message }] });
  });

  it('refuses a status field the schema does not know, as the API server would prune it', () => {
    const ds = { ...validDataSource(), status: { ready: true } };
    expect(parseResource(ds)).toEqual({
      ok: false,
      problems: [{ path: 'status.ready', message: 'unknown field "ready"' }],
    });
  });
});

describe('Secret', () => {
  const secret = (fields: object) =>
    parseResource({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'm' }, ...fields });

  it('reads stringData before data, and decodes data from base64', () => {
    const result = secret({
      data: { username: Buffer.from('minter').toString('base64'), password: 'b2xk' },
      stringData: { password: 'new' },
    });
    if (!result.ok || result.resource.kind !== 'Secret') throw new Error('expected a Secret');

    expect(result.resource.type).toBe('Opaque');
    expect(secretValue(result.resource, 'username')).toBe('minter');
    expect(secretValue(result.resource, 'password')).toBe('new');
    expect(secretValue(result.resource, 'missing')).toBeUndefined();
  });

  it('refuses data that is not base64, without echoing the value', () => {
    const result = secret({ data: { password: 'not base64!' } });
    expect(result).toEqual({
      ok: false,
      problems: [{ path: 'data.password', message: 'must be base64 (standard alphabet, padded)' }],
    });
    expect(JSON.stringify(result)).not.toContain('not base64!');
  });

  it('refuses a key the API server would refuse', () => {
    const result = secret({ stringData: { 'pass word': 'x' } });
    expect(!result.ok && result.problems[0]?.path).toBe('stringData[pass word]');
  });
});

describe('formatPath', () => {
  it.each([
    [['spec', 'grant', 'ttl'], 'spec.grant.ttl'],
    [['spec', 'subjects', 0, 'oidc'], 'spec.subjects[0].oidc'],
    [
      ['spec', 'classification', 'public.customers.email'],
      'spec.classification[public.customers.email]',
    ],
    [[], ''],
  ])('writes %j as %j', (segments, text) => {
    expect(formatPath(segments)).toBe(text);
  });
});
