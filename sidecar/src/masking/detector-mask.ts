import type { CellMask } from './cell-masks.js';
import { DETECTORS } from './detectors/index.js';
import type { IndexedRule } from './masking-rules.js';
import type { TypeClass } from './pg-types.js';
import { KeyedHasher } from './keyed-hasher.js';
import { hashTextWith, partialMask, REDACTED } from './strategies.js';

/** A detector rule as one column applies it. */
export interface DetectorRule {
  rule: IndexedRule;
  /** Values the rule masked, by rule index: the caller turns these into metrics. */
  counts: Uint32Array;
}

// Node 24 keeps a number's source text through JSON.parse (reviver context) and JSON.rawJSON,
// so numbers too long for a double survive a masked round trip unchanged.
const rawJSON = (text: string): unknown =>
  (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(text);

/** Signals that a detector rule with the null strategy matched: the whole cell becomes NULL. */
class NullCell extends Error {}

/**
 * A mask that runs the detector rules over a string-typed cell and replaces what they find
 * (strategies apply to each found value; `null` makes the whole cell NULL). Cells without a
 * finding are returned as they came, untouched. JSON is masked value by value so it stays valid.
 * NOTE: object keys in JSON are not scanned. Cells are decoded as UTF-8: with another
 * client_encoding, a cell with a finding has its non-ASCII characters replaced.
 */
export function buildDetectorMask(
  rules: readonly DetectorRule[],
  type: TypeClass,
  format: 0 | 1,
  hashKey: Buffer,
): CellMask | undefined {
  if (rules.length === 0) return undefined;
  const hasher = new KeyedHasher(hashKey);
  const maskText = (text: string): string | null => {
    let out = text;
    for (const { rule, counts } of rules) {
      const strategy = rule.rule.strategy;
      const found = DETECTORS[rule.rule.detector!](out);
      if (found.length === 0) continue;
      counts[rule.index]! += found.length;
      if (strategy === 'null') return null;
      for (let i = found.length - 1; i >= 0; i--) {
        const { start, end } = found[i]!;
        out =
          out.slice(0, start) +
          replacement(strategy, out.slice(start, end), hasher) +
          out.slice(end);
      }
    }
    return out;
  };

  if (type === 'text') return textCell(maskText);
  if (type === 'json' || (type === 'jsonb' && format === 0)) return jsonCell(maskText, 0);
  if (type === 'jsonb') return jsonCell(maskText, 1);
  return undefined;
}

function replacement(
  strategy: 'redact' | 'partial' | 'hash',
  value: string,
  hasher: KeyedHasher,
): string {
  if (strategy === 'redact') return REDACTED;
  if (strategy === 'partial') return partialMask(value);
  return hashTextWith(hasher, value);
}

function textCell(maskText: (text: string) => string | null): CellMask {
  return (cell) => {
    const text = cell.toString('utf8');
    const masked = maskText(text);
    if (masked === null) return null;
    return masked === text ? cell : Buffer.from(masked);
  };
}

// jsonb's binary form is a version byte (1) and the JSON text; `header` is that byte's length.
function jsonCell(maskText: (text: string) => string | null, header: 0 | 1): CellMask {
  return (cell) => {
    const text = cell.toString('utf8', header);
    let changed = false;
    const reviver = (_key: string, value: unknown, context?: { source?: string }): unknown => {
      if (typeof value !== 'string' && typeof value !== 'number') return value;
      const source = typeof value === 'string' ? value : (context?.source ?? String(value));
      const masked = maskText(source);
      if (masked === null) throw new NullCell();
      if (masked !== source) changed = true;
      if (masked !== source || typeof value === 'string') return masked;
      return rawJSON(source);
    };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text, reviver);
    } catch {
      // A null-strategy finding (NullCell), or not JSON after all, which the server never sends
      // for json: either way the cell becomes NULL.
      return null;
    }
    if (!changed) return cell;
    const json = Buffer.from(JSON.stringify(parsed));
    return header === 0 ? json : Buffer.concat([Buffer.from([1]), json]);
  };
}
