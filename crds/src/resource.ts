import type { z } from 'zod';
import { accessPolicySchema, type AccessPolicy } from './access-policy.js';
import { accessRequestSchema, type AccessRequest } from './access-request.js';
import { API_GROUP, GROUP_VERSION } from './common.js';
import { dataSourceSchema, type DataSource } from './data-source.js';
import { secretSchema, type Secret } from './secret.js';

/** Any object the parse functions accept: the three Portcullis kinds and a core v1 Secret. */
export type PortcullisResource = DataSource | AccessPolicy | AccessRequest | Secret;

/** One thing wrong with an object: the field path (`spec.grant.ttl`) and what is wrong. */
export interface Problem {
  path: string;
  message: string;
}

/** The parsed object with defaults applied, or every problem found in it. */
export type ParseResult =
  { ok: true; resource: PortcullisResource } | { ok: false; problems: Problem[] };

const SCHEMAS: Record<string, z.ZodType<PortcullisResource>> = {
  [`${GROUP_VERSION}/DataSource`]: dataSourceSchema,
  [`${GROUP_VERSION}/AccessPolicy`]: accessPolicySchema,
  [`${GROUP_VERSION}/AccessRequest`]: accessRequestSchema,
  'v1/Secret': secretSchema,
};

const SUPPORTED = `DataSource, AccessPolicy or AccessRequest of ${GROUP_VERSION}, or a v1 Secret`;

/**
 * Parses one object of any supported kind, chosen by its apiVersion and kind. Unknown fields
 * are problems, as they are to `kubectl apply` with strict field validation.
 */
export function parseResource(obj: unknown): ParseResult {
  if (!isRecord(obj)) return fail('', 'must be an object with apiVersion and kind');

  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string') return fail('apiVersion', 'required');
  if (typeof kind !== 'string') return fail('kind', 'required');

  const schema = SCHEMAS[`${apiVersion}/${kind}`];
  if (schema === undefined) {
    const path = apiVersion.startsWith(`${API_GROUP}/`) && apiVersion !== GROUP_VERSION;
    return fail(
      path ? 'apiVersion' : 'kind',
      `unsupported ${kind} of apiVersion ${apiVersion}: expected a ${SUPPORTED}`,
    );
  }

  const result = schema.safeParse(obj, { error: messageFor });
  if (result.success) return { ok: true, resource: result.data };
  return { ok: false, problems: result.error.issues.flatMap(problemsOf) };
}

/** True for the kinds parseResource knows; false for any other apiVersion and kind. */
export function isSupportedKind(apiVersion: unknown, kind: unknown): boolean {
  return `${String(apiVersion)}/${String(kind)}` in SCHEMAS;
}

/** `spec.subjects[0].oidc`, `spec.classification[public.customers.email]`: how kubectl says it. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(segment))) {
      text += text === '' ? String(segment) : `.${String(segment)}`;
    } else text += `[${String(segment)}]`;
  }
  return text;
}

/** The namespace of an object as kubectl would place it: "default" when the manifest has none. */
export function namespaceOrDefault(resource: PortcullisResource): string {
  return resource.metadata.namespace ?? 'default';
}

// zod's messages speak of its own types ("Invalid input: expected string, received undefined");
// a manifest author reads these better.
function messageFor(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'required';
    const article = /^[aeiou]/.test(issue.expected) ? 'an' : 'a';
    return `must be ${article} ${issue.expected}`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
  }
  return undefined;
}

function problemsOf(issue: z.core.$ZodIssue): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      message: `unknown field "${key}"`,
    }));
  }
  if (issue.code === 'invalid_key') {
    const why = issue.issues.map((i) => i.message).join('; ');
    return [{ path: formatPath(issue.path), message: `invalid key: ${why}` }];
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}

function fail(path: string, message: string): ParseResult {
  return { ok: false, problems: [{ path, message }] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
