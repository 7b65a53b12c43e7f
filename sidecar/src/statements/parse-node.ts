/** A parse-tree object as libpg-query's JSON gives it: `{ NodeType: { ...fields } }` or bare. */
export type ParseObject = Record<string, unknown>;

/** The value as a plain object, or undefined for arrays, primitives and null. */
export function asObject(value: unknown): ParseObject | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as ParseObject;
}

/** The value as an array, or an empty one. */
export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * `{ NodeType: fields }` splits into its type and fields. libpg-query wraps every node that
 * sits in a `Node *` field or a list this way; fields of a fixed struct type are left bare.
 */
export function unwrapNode(value: unknown): { type: string; fields: ParseObject } | undefined {
  const object = asObject(value);
  if (object === undefined) return undefined;
  let type: string | undefined;
  for (const key in object) {
    if (type !== undefined) return undefined;
    type = key;
  }
  // Node type names start with a capital letter (A..Z); field names never do.
  const first = type?.charCodeAt(0) ?? 0;
  if (type === undefined || first < 65 || first > 90) return undefined;
  const fields = asObject(object[type]);
  return fields === undefined ? undefined : { type, fields };
}

/** The fields of a node of this type, whether it is wrapped or bare. */
export function nodeFields(value: unknown, type: string): ParseObject | undefined {
  const node = unwrapNode(value);
  if (node !== undefined) return node.type === type ? node.fields : undefined;
  return asObject(value);
}

/** The `sval`s of a list of String nodes, such as a qualified name. */
export function nameParts(value: unknown): string[] {
  const parts: string[] = [];
  for (const item of asArray(value)) {
    const sval = unwrapNode(item)?.fields.sval;
    if (typeof sval === 'string') parts.push(sval);
  }
  return parts;
}

/** The text of a string constant, seen through casts (`'role'::text`), else undefined. */
export function constantText(value: unknown): string | undefined {
  const node = unwrapNode(value);
  if (node === undefined) return undefined;
  if (node.type === 'TypeCast') return constantText(node.fields.arg);
  if (node.type !== 'A_Const') return undefined;
  const sval = asObject(node.fields.sval)?.sval;
  return typeof sval === 'string' ? sval : undefined;
}
