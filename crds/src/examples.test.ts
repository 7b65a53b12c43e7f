import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brokenManifests } from './broken-manifests.js';
import { repositoryRoot } from './generate.js';
import { formatManifestProblems, parseManifests } from './manifests.js';
import { parseResource } from './resource.js';

const examplesDir = join(repositoryRoot(), 'examples');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return entry.name.endsWith('.yaml') ? [path] : [];
  });
}

describe('examples/', () => {
  const files = yamlFiles(examplesDir).map((path) => relative(examplesDir, path));

  it('holds the orders, reporting, AI agent and standalone examples', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'orders/data-source.yaml',
        'reporting/nightly-report.yaml',
        'ai-agent/support-agent.yaml',
        'standalone/orders.yaml',
      ]),
    );
  });

  it.each(files)('%s parses', (file) => {
    const text = readFileSync(join(examplesDir, file), 'utf8');
    // Standalone manifests must stand on their own: no API server resolves what they name.
    const standalone = file.startsWith('standalone/');
    const result = parseManifests(text, { foreign: 'skip', checkReferences: standalone });

    if (!result.ok) throw new Error(formatManifestProblems(result.problems));
    expect(result.resources.length).toBeGreaterThan(0);
  });

  it('lets the reporting Job only read, as its service account, with the sidecar injected', () => {
    const text = readFileSync(join(examplesDir, 'reporting/nightly-report.yaml'), 'utf8');
    const result = parseManifests(text, { foreign: 'skip' });
    if (!result.ok) throw new Error(formatManifestProblems(result.problems));

    const policy = result.resources.find((r) => r.kind === 'AccessPolicy');
    expect(policy?.kind === 'AccessPolicy' && policy.spec.guardrails.allow).toEqual([
      'read',
      'transaction',
      'session',
    ]);
    expect(policy?.kind === 'AccessPolicy' && policy.spec.subjects).toEqual([
      { serviceAccount: { name: 'nightly-report' } },
    ]);
    expect(result.skipped.map((s) => s.kind)).toEqual(['ServiceAccount', 'Job']);
    expect(text).toContain("portcullis.dev/inject: 'true'");
  });

  it('holds the AI agent for approval above 1000 rows and never shows it a card number', () => {
    const text = readFileSync(join(examplesDir, 'ai-agent/support-agent.yaml'), 'utf8');
    const result = parseManifests(text);
    if (!result.ok) throw new Error(formatManifestProblems(result.problems));

    const [policy] = result.resources;
    if (policy?.kind !== 'AccessPolicy') throw new Error('expected an AccessPolicy');
    expect(policy.spec.subjects[0]?.oidc?.groups).toEqual(['ai-agents']);
    expect(policy.spec.approval?.rules).toEqual([{ rowsOver: 1000 }]);
    expect(policy.spec.masking.rules).toContainEqual({
      classification: 'credit_card',
      strategy: 'redact',
    });
    expect(policy.spec.masking.derived).toBe('refuse');
  });
});

describe('broken manifests', () => {
  it.each(brokenManifests().map((c) => [c.name, c] as const))('refuses %s', (_name, broken) => {
    const result = parseResource(broken.manifest);
    expect(result).toEqual({
      ok: false,
      problems: [{ path: broken.path, message: broken.message }],
    });
  });
});
