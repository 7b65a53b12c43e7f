import type { ValueDetector } from '@portcullis/crds';
import { DETECTORS } from '../masking/detectors/index.js';
import { LruMap } from '../statements/lru-map.js';

interface Span {
  start: number;
  end: number;
  kind: ValueDetector;
}

/** Replaces every value any detector finds (cards, IBANs, emails, SSNs, phones, secrets). */
export function scrubValues(text: string): string {
  const spans: Span[] = [];
  for (const [kind, find] of Object.entries(DETECTORS) as [ValueDetector, (t: string) => []][]) {
    for (const match of find(text) as { start: number; end: number }[]) {
      spans.push({ ...match, kind });
    }
  }
  if (spans.length === 0) return text;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);

  let out = '';
  let at = 0;
  for (const span of spans) {
    if (span.end <= at) continue;
    out += `${text.slice(at, Math.max(at, span.start))}[${span.kind}]`;
    at = span.end;
  }
  return out + text.slice(at);
}

// PASSWORD 'x' in CREATE/ALTER ROLE and USER; E'' and dollar quotes included.
const PASSWORD_LITERAL = /\bpassword\s+(?:e?'(?:[^'\\]|''|\\.)*'|(\$[a-z_0-9]*\$)[\s\S]*?\1)/gi;
// Any string constant: '...', E'...', and dollar-quoted bodies.
const STRING_LITERAL = /\be'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*'|(\$[a-z_0-9]*\$)[\s\S]*?\1/gi;

/**
 * A statement's text fit for the recording: passwords always removed, values the detectors
 * find replaced, and, when the statement touches a table with classified columns, every
 * string constant replaced too (a literal compared to a classified column is that column's
 * value, which the detectors may not recognise).
 */
export function scrubStatement(sql: string, touchesClassified: boolean): string {
  // Prepared statements and ORMs send the same texts again and again.
  const cache = touchesClassified ? scrubbedStrictly : scrubbed;
  const known = cache.get(sql);
  if (known !== undefined) return known;
  let text = sql.replace(PASSWORD_LITERAL, "PASSWORD '[redacted]'");
  if (touchesClassified) text = text.replace(STRING_LITERAL, "'[redacted]'");
  text = scrubValues(text);
  cache.set(sql, text, sql.length + text.length);
  return text;
}

// Recently scrubbed statement texts, by whether their literals were all redacted: 2 x 1 MiB.
const scrubbed = new LruMap<string, string>(1024, 1 << 20);
const scrubbedStrictly = new LruMap<string, string>(1024, 1 << 20);
