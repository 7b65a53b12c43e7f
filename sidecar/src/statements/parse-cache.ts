import { literalShape, type LiteralShape } from './literal-key.js';
import { LruMap } from './lru-map.js';
import { parseStatements, type ParseOutcome, type ParsedStatement } from './statement-parser.js';

/** Bounds of a parse cache. */
export interface ParseCacheOptions {
  /** Most query strings kept (default 2000). */
  maxEntries?: number;
  /** Most characters of query text kept in all (default 8 MiB); longer strings are not kept. */
  maxTextChars?: number;
}

/** Counters for the caller's metrics. */
export interface ParseCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  size: number;
}

/**
 * Parse outcomes by query text, shared by every session of a process: the outcome depends on
 * the text alone (policies are applied afterwards), so a repeated statement costs a lookup.
 * A one-statement text that differs from a cached one only in numeric constants (clients
 * that inline keys: `... WHERE aid = 12345`) shares its outcome by shape (literal-key.ts):
 * nothing the gate or the masking decides reads such a value, except what literalShape
 * declines. Only what parsed and classified is shared so; refusals carry the parser's
 * position in their own text.
 */
// Longer texts are not kept as the last one: one of those could hold megabytes for good.
const LAST_MAX_CHARS = 64 * 1024;

export class ParseCache {
  private readonly outcomes: LruMap<string, ParseOutcome>;
  private readonly shapes: LruMap<string, ParsedStatement>;
  private hits = 0;
  private misses = 0;
  // The last text looked up and its outcome: masking and the gate look up each Query and
  // Parse one after the other, and the second lookup need not scan the text again.
  private last: { sql: string; outcome: ParseOutcome } | undefined;

  constructor(options: ParseCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? 2000;
    const maxTextChars = options.maxTextChars ?? 8 * 1024 * 1024;
    this.outcomes = new LruMap(maxEntries, maxTextChars);
    this.shapes = new LruMap(maxEntries, maxTextChars);
  }

  /** The outcome for this text, parsed on a miss; `cacheHit` tells which. */
  parse(sql: string): { outcome: ParseOutcome; cacheHit: boolean } {
    if (this.last?.sql === sql) {
      this.hits++;
      return { outcome: this.last.outcome, cacheHit: true };
    }
    const found = this.lookup(sql);
    this.last = sql.length <= LAST_MAX_CHARS ? { sql, outcome: found.outcome } : undefined;
    return found;
  }

  private lookup(sql: string): { outcome: ParseOutcome; cacheHit: boolean } {
    const shape = literalShape(sql);
    const shared = shape === undefined ? undefined : this.sharedOutcome(shape);
    if (shared !== undefined) {
      this.hits++;
      return { outcome: shared, cacheHit: true };
    }
    const cached = this.outcomes.get(sql);
    if (cached !== undefined) {
      this.hits++;
      return { outcome: cached, cacheHit: true };
    }
    this.misses++;
    const outcome = parseStatements(sql);
    const [only, ...more] = outcome.ok ? outcome.statements : [];
    // Shared only when the scanner's idea of the statement's text is the parser's.
    if (shape !== undefined && only?.info.text === shape.statementText && more.length === 0) {
      this.shapes.set(shape.key, only, shape.key.length);
    } else {
      this.outcomes.set(sql, outcome, sql.length);
    }
    return { outcome, cacheHit: false };
  }

  // The tree (`node`) stays the first text's, constants and locations included: the
  // masking's column lineage reads neither. The statement's text is always this one's, as
  // the recording, approval requests and prepared-statement comparisons show it.
  private sharedOutcome(shape: LiteralShape): ParseOutcome | undefined {
    const cached = this.shapes.get(shape.key);
    if (cached === undefined) return undefined;
    const info = Object.freeze({ ...cached.info, text: shape.statementText });
    return { ok: true, statements: [{ info, node: cached.node }] };
  }

  stats(): ParseCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.outcomes.evictions + this.shapes.evictions,
      size: this.outcomes.size + this.shapes.size,
    };
  }
}
