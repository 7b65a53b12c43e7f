// Reading libpg-query's JSON parse tree: a node is `{ NodeType: { ...fields } }` when it sits in
// a `Node *` field or a list, and bare fields when the C struct embeds it.
// NOTE: statements/parse-node.ts holds similar readers; merge them once both have settled.

/** A node's fields. */
export type Fields = Record<string, unknown>;

/** Splits `{ NodeType: fields }` into its type and fields; undefined for anything else. */
export function nodeOf(value: unknown): { type: string; fields: Fields } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const type = keys[0]!;
  const fields = (value as Fields)[type];
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return undefined;
  return { type, fields: fields as Fields };
}

/** The fields when the value is a node of this type (wrapped or bare), else undefined. */
export function fieldsOf(value: unknown, type: string): Fields | undefined {
  const node = nodeOf(value);
  if (node !== undefined && node.type === type) return node.fields;
  if (node !== undefined && /^[A-Z]/.test(node.type)) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as Fields;
}

/** The value as an array, or an empty one. */
export function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value as a string, or undefined. */
export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The `sval` of each String node in a list (qualified names, column name lists). */
export function names(value: unknown): string[] {
  const out: string[] = [];
  for (const item of listOf(value)) {
    const sval = nodeOf(item)?.fields.sval;
    if (typeof sval === 'string') out.push(sval);
  }
  return out;
}

/**
 * A function of a parse tree, worked out once per tree: the parse cache shares its trees with
 * every session and nothing changes them, so a tree seen before has its answer at hand.
 */
export function oncePerTree<T>(compute: (stmt: unknown) => T): (stmt: unknown) => T {
  const answers = new WeakMap<object, T>();
  return (stmt) => {
    const tree = typeof stmt === 'object' && stmt !== null ? stmt : undefined;
    if (tree !== undefined && answers.has(tree)) return answers.get(tree) as T;
    const answer = compute(stmt);
    if (tree !== undefined) answers.set(tree, answer);
    return answer;
  };
}
