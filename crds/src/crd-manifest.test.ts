import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KINDS } from './crd-definitions.js';
import { customResourceDefinition, renderCrdFiles } from './crd-manifest.js';
import { CRD_OUTPUT_DIRS, repositoryRoot } from './generate.js';
import { NODE_KEYS, type SchemaNode } from './structural-schema.js';

const root = repositoryRoot();
const rendered = renderCrdFiles();

describe('generated CRD manifests', () => {
  const expected = rendered;

  it.each(CRD_OUTPUT_DIRS)('in %s match the zod schemas (run `make generate`)', (dir) => {
    const committed = readdirSync(join(root, dir)).filter((f) => f.endsWith('.yaml'));
    expect(committed.sort()).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) {
      expect(readFileSync(join(root, dir, name), 'utf8')).toBe(text);
    }
  });

  it('render the same text twice, so make generate is idempotent', () => {
    expect(renderCrdFiles()).toEqual(expected);
  });
});

// Every node of a structural schema says its type (or that it keeps unknown fields), uses only
// the keys apiextensions.k8s.io/v1 allows, and maps appear only as additionalProperties.
function walk(node: SchemaNode, path: string, visit: (node: SchemaNode, path: string) => void) {
  visit(node, path);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    walk(child, path === '' ? name : `${path}.${name}`, visit);
  }
  if (node.items !== undefined) walk(node.items, `${path}[]`, visit);
  if (node.additionalProperties !== undefined) walk(node.additionalProperties, `${path}{}`, visit);
}

describe.each(KINDS.map((def) => [def.kind, def] as const))('the %s CRD', (_kind, def) => {
  const crd = customResourceDefinition(def) as {
    spec: {
      versions: { schema: { openAPIV3Schema: SchemaNode } }[];
      names: { shortNames: string[] };
    };
  };
  const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;
  const nodes: [string, SchemaNode][] = [];
  walk(schema, '', (node, path) => nodes.push([path, node]));

  it('is structural: every node typed, only allowed keys, no maps beside properties', () => {
    for (const [path, node] of nodes) {
      const keys = Object.keys(node);
      expect({
        path,
        unknown: keys.filter((k) => !(NODE_KEYS as readonly string[]).includes(k)),
      }).toEqual({ path, unknown: [] });
      expect({
        path,
        typed: node.type !== undefined || node['x-kubernetes-preserve-unknown-fields'] === true,
      }).toEqual({ path, typed: true });
      expect({
        path,
        both: node.properties !== undefined && node.additionalProperties !== undefined,
      }).toEqual({ path, both: false });
    }
  });

  it('describes every field, for kubectl explain', () => {
    const undescribed = nodes
      .filter(([path]) => path !== '' && !path.endsWith('[]') && !path.endsWith('{}'))
      .filter(([path, node]) => path !== 'metadata' && !node.description)
      .map(([path]) => path);
    expect(undescribed).toEqual([]);
  });

  it('uses only patterns Go RE2 reads the same way (no lookaround, no backreferences)', () => {
    const patterns = nodes.flatMap(([, node]) =>
      node['pattern'] === undefined ? [] : [node['pattern']],
    );
    expect(patterns.length).toBeGreaterThan(0);
    for (const pattern of patterns) {
      expect(pattern).not.toMatch(/\(\?[=!<]|\\[1-9]|\\k</);
    }
  });

  it('has defaults that the schema itself accepts', () => {
    for (const [path, node] of nodes) {
      if (node['default'] === undefined) continue;
      const kind = Array.isArray(node['default']) ? 'array' : typeof node['default'];
      expect({ path, kind }).toEqual({
        path,
        kind: node.type === 'integer' ? 'number' : node.type,
      });
      if (node['enum'] !== undefined) expect(node['enum']).toContain(node['default']);
    }
  });

  it('prints columns whose paths exist in the schema', () => {
    // metadata is the API server's; every other column must point into spec or status.
    for (const column of def.printerColumns.filter((c) => !c.jsonPath.startsWith('.metadata.'))) {
      const path = column.jsonPath
        .replace(/\[\?.*$/, '')
        .slice(1)
        .split('.');
      let node: SchemaNode | undefined = schema;
      for (const segment of path)
        node = node?.properties?.[segment] ?? node?.items?.properties?.[segment];
      expect({ column: column.name, found: node !== undefined }).toEqual({
        column: column.name,
        found: true,
      });
    }
  });

  it('has short names no built-in resource uses', () => {
    // The short names of kube-apiserver v1.37's built-in resources (kubectl api-resources).
    const builtIn = [
      'cj',
      'cm',
      'crd',
      'crds',
      'cs',
      'csr',
      'deploy',
      'ds',
      'ep',
      'ev',
      'hpa',
      'ing',
      'ip',
      'limits',
      'netpol',
      'no',
      'ns',
      'pc',
      'pdb',
      'po',
      'pv',
      'pvc',
      'quota',
      'rc',
      'rs',
      'sa',
      'sc',
      'sts',
      'svc',
      'vac',
    ];
    for (const short of crd.spec.names.shortNames) expect(builtIn).not.toContain(short);
  });
});

describe('CEL rules in the CRDs', () => {
  const rulesOf = (kind: string) => {
    const text = rendered.get(`portcullis.dev_${KINDS.find((k) => k.kind === kind)!.plural}.yaml`)!;
    const found: string[] = [];
    walk(
      (
        parse(text.replace(/^#.*\n/, '')) as {
          spec: { versions: { schema: { openAPIV3Schema: SchemaNode } }[] };
        }
      ).spec.versions[0]!.schema.openAPIV3Schema,
      '',
      (node, path) => {
        for (const v of (node['x-kubernetes-validations'] as { message: string }[] | undefined) ??
          []) {
          found.push(`${path}: ${v.message}`);
        }
      },
    );
    return found;
  };

  // Pinned so that a rule dropped on the way from zod to YAML (metadata lost to a wrapper) fails.
  it('carry every rule of AccessPolicy', () => {
    expect(rulesOf('AccessPolicy')).toEqual(
      expect.arrayContaining([
        'spec.subjects[]: set exactly one of serviceAccount or oidc',
        'spec.grant: ttl may not exceed maxSessionDuration',
        'spec.grant.ttl: must be longer than zero',
        'spec.grant.maxSessionDuration: must be at most 8760h',
        'spec.guardrails.tables[]: set allow, deny or both',
        'spec.masking.rules[]: set exactly one of classification or detector',
        'spec.masking.rules[]: columns narrows a detector; a classification names its columns already',
        'spec.approval.rules[]: set at least one of classes, tables or rowsOver',
        'spec.approval.approvers: name at least one user or group',
        'spec.approval.timeout: must be longer than zero',
        'spec.workloadSelector.matchExpressions[]: In and NotIn need values; Exists and DoesNotExist take none',
      ]),
    );
  });

  it('carry every rule of DataSource', () => {
    expect(rulesOf('DataSource')).toEqual([
      'spec.tls: caSecretRef is only used with mode verify-full',
      'spec.classification: every key must be schema.table.column, such as public.customers.email',
    ]);
  });

  it('make every AccessRequest field but the decision fixed, and the decision final', () => {
    expect(rulesOf('AccessRequest')).toEqual([
      'spec: decision cannot change once set',
      'spec: policyRef cannot change',
      'spec: dataSourceRef cannot change',
      'spec: requester cannot change',
      'spec: operation cannot change',
      'spec: reason cannot change',
      'spec: expiresAt cannot change',
    ]);
  });
});
