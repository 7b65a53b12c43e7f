import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { brokenManifests, validAccessPolicy, validDataSource } from '@portcullis/crds';
import { parseAllDocuments } from 'yaml';
import { unexpectedStderr, type Cluster } from '../../src/cluster.js';
import { CRD_DIR, crdNames, waitEstablished } from '../../src/crd-install.js';
import { ensureNamespace } from '../../src/namespaces.js';
import { repoPath } from '../../src/paths.js';

const EXAMPLES = repoPath('examples');
// Examples that name no namespace (the standalone ones) go here.
const EXAMPLE_NAMESPACE = 'e2e-examples';
const BROKEN_NAMESPACE = 'e2e-broken';

// The API server words structural-schema and strict-decoding failures itself (a CEL rule keeps
// its own message): what a user sees for each such case of the broken-manifest table.
const SERVER_MESSAGES: Record<string, string> = {
  'a misspelt field': 'strict decoding error: unknown field "spec.grant.tll"',
  'a duration in days, which Go and CEL cannot read':
    "spec.grant.maxSessionDuration in body should match '^([0-9]{1,9}(ms|s|m|h))+$'",
  'a classified column without its schema':
    'spec.classification: Invalid value: every key must be schema.table.column, such as public.customers.email',
  'a detector column without its schema':
    'spec.masking.rules[0].columns[0]: Invalid value: "orders.notes": spec.masking.rules[0].columns[0] in body should match',
  'a DataSource without a minter': 'spec.minter: Required value',
  'an SQL keyword instead of a statement class':
    'spec.guardrails.allow[0]: Unsupported value: "select"',
  'a port written as a string': 'spec.port in body must be of type integer: "string"',
  'a quoted (upper case) role name':
    'spec.minter.grantableRoles[0]: Invalid value: "Orders_Reader": spec.minter.grantableRoles[0] in body should match',
  'an OIDC issuer that is not an http(s) URL':
    "spec.subjects[0].oidc.issuer in body should match '^https?://'",
};

/**
 * The example files, those with a DataSource first: a policy applied before its DataSource
 * draws a warning from the validating webhook where it is live (an existing cluster), as a
 * user applying them in that order would see.
 */
async function exampleFiles(): Promise<string[]> {
  const folders = await readdir(EXAMPLES, { withFileTypes: true });
  const files: string[] = [];
  for (const folder of folders.filter((f) => f.isDirectory())) {
    const names = await readdir(join(EXAMPLES, folder.name));
    files.push(...names.filter((n) => n.endsWith('.yaml')).map((n) => join(folder.name, n)));
  }
  const texts = await Promise.all(files.map((file) => readFile(join(EXAMPLES, file), 'utf8')));
  const defines = new Set(files.filter((_, i) => /^kind: DataSource$/m.test(texts[i] ?? '')));
  return files.sort(
    (a, b) => Number(defines.has(b)) - Number(defines.has(a)) || a.localeCompare(b),
  );
}

/** The CRDs, every example, and the broken-manifest table against the API server. */
export function describeManifests(cluster: () => Cluster): void {
  describe('CRDs and manifests', () => {
    test('the CRDs from crds/manifests apply and become Established', async () => {
      const applied = await cluster().kubectl.run(['apply', '-f', CRD_DIR]);
      expect(unexpectedStderr(cluster(), applied.stderr)).toEqual([]);
      expect(applied.code).toBe(0);

      const names = await crdNames();
      expect(names).toEqual([
        'accesspolicies.portcullis.dev',
        'accessrequests.portcullis.dev',
        'datasources.portcullis.dev',
      ]);
      for (const name of names) {
        const conditions = await waitEstablished(cluster(), name);
        expect(conditions).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ type: 'NamesAccepted', status: 'True' }),
            expect.objectContaining({ type: 'Established', status: 'True' }),
          ]),
        );
      }
      const again = await cluster().kubectl.run(['apply', '-f', CRD_DIR]);
      expect(again.stdout.trim().split('\n')).toEqual(
        names.map((n) => `customresourcedefinition.apiextensions.k8s.io/${n} unchanged`),
      );
    }, 60_000);

    test('every example applies', async () => {
      const files = await exampleFiles();
      expect(files.length).toBeGreaterThanOrEqual(4);
      await ensureNamespace(cluster().api, 'shop');
      await ensureNamespace(cluster().api, EXAMPLE_NAMESPACE);

      for (const file of files) {
        const text = await readFile(join(EXAMPLES, file), 'utf8');
        const docs = parseAllDocuments(text).map(
          (d) => d.toJS() as { metadata?: { namespace?: string } },
        );
        const namespaced = docs.every((d) => d.metadata?.namespace !== undefined);
        const args = ['apply', '--validate=strict', '-f', join(EXAMPLES, file)];
        if (!namespaced) args.push('-n', EXAMPLE_NAMESPACE);

        const result = await cluster().kubectl.run(args);
        const stderr = unexpectedStderr(cluster(), result.stderr);
        expect({ file, stderr, code: result.code }).toEqual({ file, stderr: [], code: 0 });
        expect(result.stdout.trim().split('\n')).toHaveLength(docs.length);
      }

      const policies = await cluster().kubectl.ok([
        'get',
        'accesspolicies',
        '-n',
        'shop',
        '-o',
        'name',
      ]);
      expect(policies.trim().split('\n').sort()).toEqual([
        'accesspolicy.portcullis.dev/nightly-report',
        'accesspolicy.portcullis.dev/support-agent',
      ]);
    }, 60_000);

    test('the valid baseline of the broken-manifest table applies', async () => {
      await ensureNamespace(cluster().api, BROKEN_NAMESPACE);
      for (const manifest of [
        validDataSource(BROKEN_NAMESPACE),
        validAccessPolicy(BROKEN_NAMESPACE),
      ]) {
        const result = await cluster().kubectl.run(
          ['apply', '--dry-run=server', '--validate=strict', '-f', '-'],
          JSON.stringify(manifest),
        );
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
      }
    });

    test.each(brokenManifests(BROKEN_NAMESPACE).map((c) => ({ ...c, title: c.name })))(
      'refuses $title with the message users see',
      async ({ title, manifest, message, path, refusedBy }) => {
        const result = await cluster().kubectl.run(
          ['apply', '--validate=strict', '-f', '-'],
          JSON.stringify(manifest),
        );
        expect(result.code).not.toBe(0);
        const expected = SERVER_MESSAGES[title] ?? (refusedBy === 'cel' ? message : undefined);
        if (expected === undefined) {
          throw new Error(`add the API server's message for "${title}" to SERVER_MESSAGES`);
        }
        expect(result.stderr).toContain(expected);
        if (refusedBy === 'cel' && SERVER_MESSAGES[title] === undefined) {
          expect(result.stderr).toContain(`${path}: Invalid value`);
        }
      },
    );
  });
}
