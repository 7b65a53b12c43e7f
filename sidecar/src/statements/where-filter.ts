import { asArray, asObject } from './parse-node.js';

// A WHERE that names no column (WHERE true, WHERE 1 = 1, WHERE $1) is all or nothing: it
// cannot pick rows, so requireWhere treats it as absent. WHERE CURRENT OF picks one row.
const ROW_PICKERS = new Set(['ColumnRef', 'CurrentOfExpr']);

/**
 * Whether a WHERE (or MERGE ON) clause can restrict rows: it names a column somewhere.
 * NOTE: a WHERE that names a column can still match every row (WHERE id = id); the gate
 * cannot tell without the data, so such a statement passes requireWhere.
 */
export function restrictsRows(clause: unknown): boolean {
  if (clause === undefined || clause === null) return false;
  const pending: unknown[] = [clause];
  while (pending.length > 0) {
    const value = pending.pop();
    if (Array.isArray(value)) {
      pending.push(...asArray(value));
      continue;
    }
    const object = asObject(value);
    if (object === undefined) continue;
    for (const [key, child] of Object.entries(object)) {
      if (ROW_PICKERS.has(key)) return true;
      pending.push(child);
    }
  }
  return false;
}
