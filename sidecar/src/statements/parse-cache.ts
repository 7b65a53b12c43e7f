import { LruMap } from './lru-map.js';
import { parseStatements, type ParseOutcome } from './statement-parser.js';

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
 */
export class ParseCache {
  private readonly outcomes: LruMap<string, ParseOutcome>;
  private hits = 0;
  private misses = 0;

  constructor(options: ParseCacheOptions = {}) {
    this.outcomes = new LruMap(options.maxEntries ?? 2000, options.maxTextChars ?? 8 * 1024 * 1024);
  }

  /** The outcome for this text, parsed on a miss; `cacheHit` tells which. */
  parse(sql: string): { outcome: ParseOutcome; cacheHit: boolean } {
    const cached = this.outcomes.get(sql);
    if (cached !== undefined) {
      this.hits++;
      return { outcome: cached, cacheHit: true };
    }
    this.misses++;
    const outcome = parseStatements(sql);
    this.outcomes.set(sql, outcome, sql.length);
    return { outcome, cacheHit: false };
  }

  stats(): ParseCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.outcomes.evictions,
      size: this.outcomes.size,
    };
  }
}
