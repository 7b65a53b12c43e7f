import { z } from 'zod';

/** A node of a CRD's openAPIV3Schema (apiextensions.k8s.io/v1 JSONSchemaProps, the part used). */
export interface SchemaNode {
  [key: string]: unknown;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode;
  required?: string[];
}

/** Thrown when a zod schema has no structural CRD equivalent (a union, a reference...). */
export class NonStructuralSchemaError extends Error {
  constructor(path: string, detail: string) {
    super(`${path === '' ? 'schema root' : path}: ${detail}`);
    this.name = 'NonStructuralSchemaError';
  }
}

/**
 * The keys a node may carry, in the order they are written, so the output is stable and reads
 * from what a field is to what is inside it. Anything else (anyOf, $ref, propertyNames...)
 * has no place in a structural schema:
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
 */
export const NODE_KEYS = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'maxProperties',
  'items',
  'properties',
  'additionalProperties',
  'required',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
] as const;

// Bounds zod adds to every integer; an int64 field needs neither.
const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/**
 * Converts a zod schema into a structural openAPIV3Schema: the input side (fields with defaults
 * are optional), every node typed, no references, maps only as additionalProperties, and the
 * CEL rules attached with `withRules` in `x-kubernetes-validations`.
 */
export function structuralSchema(schema: z.ZodType): SchemaNode {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'throw',
    reused: 'inline',
    cycles: 'throw',
  });
  return normalize(json, '');
}

function normalize(node: Record<string, unknown>, path: string): SchemaNode {
  const out: Record<string, unknown> = {};
  for (const key of NODE_KEYS) {
    const value = node[key];
    if (value === undefined || dropped(node, key, value)) continue;
    out[key] = convertChild(key, value, path);
  }

  // kubectl explain prints descriptions but not defaults; say a scalar default in words.
  const fallback = out['default'];
  if (typeof out['description'] === 'string' && isScalar(fallback)) {
    out['description'] = `${out['description']} Defaults to ${JSON.stringify(fallback)}.`;
  }

  const unknown = Object.keys(node).filter(
    (key) => !(NODE_KEYS as readonly string[]).includes(key) && key !== '$schema',
  );
  if (unknown.length > 0)
    throw new NonStructuralSchemaError(path, `no CRD form for ${unknown.join(', ')}`);
  if (out['type'] === undefined) throw new NonStructuralSchemaError(path, 'a node without a type');
  return out;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function dropped(node: Record<string, unknown>, key: string, value: unknown): boolean {
  // A strict object says so in zod; the API server prunes (or, with strict field validation,
  // refuses) unknown fields by itself, and forbids additionalProperties beside properties.
  if (key === 'additionalProperties') return value === false;
  if (key === 'minimum' || key === 'maximum') return SAFE_INTEGER_BOUNDS.has(value as number);
  // zod spells out date-time as a long pattern; the API server checks the format itself.
  if (key === 'pattern') return node['format'] === 'date-time';
  return false;
}

function convertChild(key: string, value: unknown, path: string): unknown {
  switch (key) {
    case 'items':
    case 'additionalProperties':
      return normalize(value as Record<string, unknown>, `${path}[]`);
    case 'properties':
      return Object.fromEntries(
        Object.entries(value as Record<string, Record<string, unknown>>).map(([name, child]) => [
          name,
          normalize(child, path === '' ? name : `${path}.${name}`),
        ]),
      );
    default:
      return value;
  }
}
