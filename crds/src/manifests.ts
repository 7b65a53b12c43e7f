import { parseAllDocuments } from 'yaml';
import { API_GROUP } from './common.js';
import {
  isSupportedKind,
  namespaceOrDefault,
  parseResource,
  type PortcullisResource,
  type Problem,
} from './resource.js';
import { referenceProblems } from './references.js';

/** A problem in one document of a multi-document YAML text. */
export interface ManifestProblem extends Problem {
  /** Index of the document, counting from 0 (empty documents count too). */
  document: number;
  kind?: string;
  name?: string;
}

/** A document of a kind parseManifests does not handle, left out when `foreign` is 'skip'. */
export interface SkippedManifest {
  document: number;
  apiVersion: string;
  kind: string;
  name?: string;
}

/** Options of parseManifests. */
export interface ParseManifestsOptions {
  /**
   * What to do with a document of another kind (a Job, a ServiceAccount): 'reject' (the
   * default) reports it as a problem, 'skip' lists it in `skipped`. Documents that claim the
   * portcullis.dev group are always parsed, so a typo in a kind is never skipped.
   */
  foreign?: 'reject' | 'skip';
  /**
   * Also check that what the objects name exists among them: the DataSource of each policy,
   * its minter Secret and keys, the granted role. Standalone mode has no API server to ask.
   */
  checkReferences?: boolean;
}

export type ParseManifestsResult =
  | { ok: true; resources: PortcullisResource[]; skipped: SkippedManifest[] }
  | { ok: false; problems: ManifestProblem[] };

/** One parsed document and where it came from. */
export interface LocatedResource {
  document: number;
  resource: PortcullisResource;
}

/**
 * Parses a multi-document YAML text (documents separated by `---`) into resources, or reports
 * every problem of every document. Two objects with the same kind, namespace and name are a
 * problem too: in a cluster the second would overwrite the first.
 */
export function parseManifests(
  yamlText: string,
  options: ParseManifestsOptions = {},
): ParseManifestsResult {
  const problems: ManifestProblem[] = [];
  const parsed: LocatedResource[] = [];
  const skipped: SkippedManifest[] = [];

  parseAllDocuments(yamlText).forEach((doc, document) => {
    if (doc.errors.length > 0) {
      for (const error of doc.errors) problems.push({ document, path: '', message: error.message });
      return;
    }
    let obj: unknown;
    try {
      obj = doc.toJS(); // refuses alias bombs: more than 100 alias expansions per document
    } catch (error) {
      problems.push({ document, path: '', message: (error as Error).message });
      return;
    }
    if (obj === null || obj === undefined) return; // an empty document, e.g. after a final ---

    const { apiVersion, kind, name } = identify(obj);
    if (options.foreign === 'skip' && isForeign(apiVersion, kind)) {
      skipped.push({ document, apiVersion: String(apiVersion), kind: String(kind), name });
      return;
    }

    const result = parseResource(obj);
    if (result.ok) parsed.push({ document, resource: result.resource });
    else problems.push(...result.problems.map((p) => ({ document, kind, name, ...p })));
  });

  problems.push(...duplicateProblems(parsed));
  if (options.checkReferences === true) problems.push(...referenceProblems(parsed));

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, resources: parsed.map((p) => p.resource), skipped };
}

/** One line per problem: `document 2 (AccessPolicy reporting) spec.grant.ttl: ...`. */
export function formatManifestProblems(problems: readonly ManifestProblem[]): string {
  return problems
    .map((p) => {
      const what = [p.kind, p.name].filter((part) => part !== undefined).join(' ');
      const where = `document ${p.document}${what === '' ? '' : ` (${what})`}`;
      return `${where} ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
    })
    .join('\n');
}

function duplicateProblems(parsed: readonly LocatedResource[]): ManifestProblem[] {
  const firstSeen = new Map<string, number>();
  const problems: ManifestProblem[] = [];
  for (const { document, resource } of parsed) {
    const { kind, metadata } = resource;
    const key = `${kind}/${namespaceOrDefault(resource)}/${metadata.name}`;
    const first = firstSeen.get(key);
    if (first === undefined) firstSeen.set(key, document);
    else {
      const message = `duplicate of document ${first}: same kind, namespace and name`;
      problems.push({ document, kind, name: metadata.name, path: 'metadata.name', message });
    }
  }
  return problems;
}

function identify(obj: unknown): { apiVersion?: unknown; kind?: string; name?: string } {
  if (typeof obj !== 'object' || obj === null) return {};
  const { apiVersion, kind, metadata } = obj as Record<string, unknown>;
  const name = (metadata as Record<string, unknown> | undefined)?.['name'];
  return {
    apiVersion,
    ...(typeof kind === 'string' ? { kind } : {}),
    ...(typeof name === 'string' ? { name } : {}),
  };
}

// Only a document that says what it is can be skipped; one without apiVersion or kind, or one
// that claims our API group, is parsed and its problems reported.
function isForeign(apiVersion: unknown, kind: unknown): boolean {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return false;
  return !isSupportedKind(apiVersion, kind) && !apiVersion.startsWith(`${API_GROUP}/`);
}
