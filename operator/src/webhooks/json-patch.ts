/** One JSON Patch operation (RFC 6902), the only patch type admission webhooks may return. */
export type JsonPatchOp =
  { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** Escapes one reference token of a JSON Pointer (RFC 6901): `~` as `~0`, `/` as `~1`. */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

function unescapePointerToken(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** Thrown when a patch does not apply to the document it was made for. */
export class JsonPatchError extends Error {
  override name = 'JsonPatchError';
}

/**
 * Applies a patch to a deep copy of `doc`, as the API server would. Used by tests and by the
 * e2e harness to see the pod the API server stores; supports add, replace and remove.
 */
export function applyJsonPatch<T>(doc: T, patch: readonly JsonPatchOp[]): T {
  let root = structuredClone(doc) as unknown;
  for (const op of patch) {
    const tokens = op.path.split('/').slice(1).map(unescapePointerToken);
    if (op.path !== '' && !op.path.startsWith('/')) {
      throw new JsonPatchError(`path ${op.path} is not a JSON Pointer`);
    }
    if (tokens.length === 0) {
      if (op.op === 'remove') throw new JsonPatchError('cannot remove the whole document');
      root = structuredClone(op.value);
      continue;
    }

    const last = tokens.pop()!;
    let parent: unknown = root;
    for (const token of tokens) {
      parent = child(parent, token, op.path);
    }
    applyAt(parent, last, op);
  }
  return root as T;
}

function child(parent: unknown, token: string, path: string): unknown {
  if (Array.isArray(parent)) {
    const next: unknown = parent[arrayIndex(parent, token, path, false)];
    return next;
  }
  if (typeof parent === 'object' && parent !== null && Object.hasOwn(parent, token)) {
    return (parent as Record<string, unknown>)[token];
  }
  throw new JsonPatchError(`path ${path} does not exist`);
}

function arrayIndex(array: unknown[], token: string, path: string, forAdd: boolean): number {
  if (forAdd && token === '-') return array.length;
  const index = /^(0|[1-9]\d*)$/.test(token) ? Number(token) : NaN;
  const limit = forAdd ? array.length : array.length - 1;
  if (Number.isNaN(index) || index > limit) {
    throw new JsonPatchError(`index ${token} out of range in ${path}`);
  }
  return index;
}

function applyAt(parent: unknown, token: string, op: JsonPatchOp): void {
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, token, op.path, op.op === 'add');
    if (op.op === 'add') parent.splice(index, 0, structuredClone(op.value));
    if (op.op === 'replace') parent[index] = structuredClone(op.value);
    if (op.op === 'remove') parent.splice(index, 1);
    return;
  }
  if (typeof parent !== 'object' || parent === null) {
    throw new JsonPatchError(`path ${op.path} does not exist`);
  }

  const record = parent as Record<string, unknown>;
  if (op.op !== 'add' && !Object.hasOwn(record, token)) {
    throw new JsonPatchError(`path ${op.path} does not exist`);
  }
  if (op.op === 'remove') {
    delete record[token];
  } else {
    record[token] = structuredClone(op.value);
  }
}
