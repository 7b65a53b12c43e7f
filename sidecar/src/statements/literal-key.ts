/**
 * A query string with its numeric constants taken out: two strings with the same `key` are the
 * same statement up to the values of those constants, so they parse to trees of one shape.
 */
export interface LiteralShape {
  /** The text with each replaced constant as a placeholder (holds NUL, never in a query). */
  key: string;
  /** The statement's own text as the parser would slice it (the query has one statement). */
  statementText: string;
}

// Placeholders by PostgreSQL token: ICONST (a decimal integer of at most 9 digits always fits
// int32) and FCONST (a decimal with a point or an exponent). Other integers keep their text:
// PostgreSQL makes an int32 overflow an FCONST, and 0x1F or 1_000 are PostgreSQL 16 syntax
// that a PostgreSQL 15 server reads as other tokens.
const INTEGER = '\u0000i';
const DECIMAL = '\u0000f';
const MAX_PLAIN_INTEGER_DIGITS = 9;

// Decisions that read a numeric constant's value: EXPLAIN (ANALYZE 0), COPY ... (HEADER 1),
// and SET of a parser setting (standard_conforming_strings = 0 is refused, = 1 allowed).
// A text naming any of these (as a keyword or a quoted name, any case) is never shared.
const VALUE_DEPENDENT = new Set([
  'explain',
  'analyze',
  'analyse',
  'copy',
  'standard_conforming_strings',
  'client_encoding',
]);

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isLetter = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
const isIdentStart = (c: number): boolean => isLetter(c) || c === 0x5f;
const isIdentChar = (c: number): boolean => isIdentStart(c) || isDigit(c) || c === 0x24;
const isSpace = (c: number): boolean =>
  c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;

/** Thrown inside the scanner for anything it is not sure of; the caller answers undefined. */
class NotSure extends Error {}

/**
 * The shape of a one-statement, ASCII query string with standalone numeric constants
 * replaced, or undefined when the text has none of them, or anything the scanner is not sure
 * of (unterminated quotes or comments, non-ASCII, several statements, a name whose decision
 * reads a constant's value, a number run into a name such as `123abc`): the caller then keys
 * by the full text.
 */
export function literalShape(sql: string): LiteralShape | undefined {
  try {
    return new Scanner(sql).shape();
  } catch (error) {
    if (error instanceof NotSure) return undefined;
    throw error;
  }
}

class Scanner {
  private at = 0;
  private readonly parts: string[] = [];
  private copiedTo = 0;
  private replaced = 0;
  private semicolon: number | undefined;

  constructor(private readonly sql: string) {}

  shape(): LiteralShape | undefined {
    const { sql } = this;
    while (this.at < sql.length) this.token();
    if (this.replaced === 0) return undefined;
    this.parts.push(sql.slice(this.copiedTo));
    const body = this.semicolon === undefined ? sql : sql.slice(0, this.semicolon);
    return { key: this.parts.join(''), statementText: body.trim() };
  }

  private code(offset = 0): number {
    // NaN past the end: every class test is false for it.
    return this.sql.charCodeAt(this.at + offset);
  }

  private token(): void {
    const c = this.code();
    if ((c >= 0x7f || c < 0x20) && !isSpace(c)) throw new NotSure();
    if (isSpace(c)) {
      this.at++;
      return;
    }
    if (c === 0x2d && this.code(1) === 0x2d) return this.lineComment();
    if (c === 0x2f && this.code(1) === 0x2a) return this.blockComment();
    // Only whitespace and comments may follow the one statement's semicolon.
    if (this.semicolon !== undefined) throw new NotSure();
    if (c === 0x3b) {
      this.semicolon = this.at++;
      return;
    }
    if (c === 0x27) return this.quoted(0x27, this.at + 1);
    if (c === 0x22) return this.name(this.at + 1);
    if (c === 0x24) return this.dollar();
    if (isDigit(c) || (c === 0x2e && isDigit(this.code(1)))) return this.number();
    if (isIdentStart(c)) return this.word();
    this.at++;
  }

  private lineComment(): void {
    while (this.at < this.sql.length && this.code() !== 0x0a && this.code() !== 0x0d) this.at++;
  }

  private blockComment(): void {
    let depth = 0;
    do {
      if (this.at >= this.sql.length) throw new NotSure();
      if (this.code() === 0x2f && this.code(1) === 0x2a) {
        depth++;
        this.at += 2;
      } else if (this.code() === 0x2a && this.code(1) === 0x2f) {
        depth--;
        this.at += 2;
      } else {
        this.at++;
      }
    } while (depth > 0);
  }

  // A quoted string or name from `start` (just past the opening quote) to its closing quote,
  // a doubled quote standing for one; with backslashes, `\` escapes the next character.
  private quoted(quote: number, start: number, backslashes = false): void {
    let i = start;
    for (;;) {
      if (i >= this.sql.length) throw new NotSure();
      const c = this.sql.charCodeAt(i);
      if (c >= 0x80 || c === 0) throw new NotSure();
      if (backslashes && c === 0x5c) {
        i += 2;
      } else if (c === quote && this.sql.charCodeAt(i + 1) === quote) {
        i += 2;
      } else if (c === quote) {
        this.at = i + 1;
        return;
      } else {
        i++;
      }
    }
  }

  private name(start: number): void {
    this.quoted(0x22, start);
    const body = this.sql.slice(start, this.at - 1).replaceAll('""', '"');
    if (VALUE_DEPENDENT.has(body.toLowerCase())) throw new NotSure();
  }

  private dollar(): void {
    // $1: a parameter; a name run into it is an error in PostgreSQL 16, a name in 15.
    if (isDigit(this.code(1))) {
      this.at++;
      while (isDigit(this.code())) this.at++;
      if (isIdentChar(this.code())) throw new NotSure();
      return;
    }
    // $tag$ ... $tag$: the tag is a name that does not start with a digit, or empty.
    let end = this.at + 1;
    if (isIdentStart(this.sql.charCodeAt(end))) {
      end++;
      while (isIdentStart(this.sql.charCodeAt(end)) || isDigit(this.sql.charCodeAt(end))) end++;
    }
    if (this.sql.charCodeAt(end) !== 0x24) throw new NotSure();
    const tag = this.sql.slice(this.at, end + 1);
    const close = this.sql.indexOf(tag, end + 1);
    if (close < 0) throw new NotSure();
    this.at = close + tag.length;
  }

  private word(): void {
    const start = this.at;
    const c = this.code();
    const next = this.code(1);
    // Prefixed strings: E'...' (backslash escapes), N'...', B'...', X'...', U&'...', U&"...".
    if (next === 0x27) {
      const kind = c | 0x20;
      if (kind === 0x65) return this.quoted(0x27, start + 2, true);
      if (kind === 0x6e) return this.quoted(0x27, start + 2);
      if (kind === 0x62 || kind === 0x78) return this.bitString(start + 2);
    }
    if ((c | 0x20) === 0x75 && next === 0x26 && this.code(2) === 0x27) {
      return this.quoted(0x27, start + 3);
    }
    // A U&"name" could spell a value-dependent name in escapes; not worth decoding.
    if ((c | 0x20) === 0x75 && next === 0x26 && this.code(2) === 0x22) throw new NotSure();
    while (isIdentChar(this.code())) this.at++;
    if (VALUE_DEPENDENT.has(this.sql.slice(start, this.at).toLowerCase())) throw new NotSure();
  }

  // B'...' and X'...' hold no quotes; a quote right after the closing one is not ours to read.
  private bitString(start: number): void {
    const close = this.sql.indexOf("'", start);
    if (close < 0 || this.sql.charCodeAt(close + 1) === 0x27) throw new NotSure();
    if (!/^[0-9a-fA-F]*$/.test(this.sql.slice(start, close))) throw new NotSure();
    this.at = close + 1;
  }

  private number(): void {
    const start = this.at;
    let placeholder: string | undefined = INTEGER;
    const prefix = this.code() === 0x30 ? this.code(1) | 0x20 : 0;
    if (prefix === 0x78 || prefix === 0x6f || prefix === 0x62) {
      // 0x1F, 0o17, 0b101: kept as written (see INTEGER).
      this.at += 2;
      while (isLetter(this.code()) || isDigit(this.code()) || this.code() === 0x5f) this.at++;
      placeholder = undefined;
    } else {
      const integer = this.digits();
      let underscore = integer.underscore;
      if (integer.count > MAX_PLAIN_INTEGER_DIGITS) placeholder = undefined;
      if (this.code() === 0x2e) {
        this.at++;
        underscore = this.digits().underscore || underscore;
        placeholder = DECIMAL;
      }
      if ((this.code() | 0x20) === 0x65) {
        this.at++;
        if (this.code() === 0x2b || this.code() === 0x2d) this.at++;
        if (!isDigit(this.code())) throw new NotSure();
        underscore = this.digits().underscore || underscore;
        placeholder = DECIMAL;
      }
      if (underscore) placeholder = undefined;
    }
    // 123abc, 1.2.3, 1..2: read differently by PostgreSQL versions, or not numbers at all.
    if (isIdentChar(this.code()) || this.code() === 0x2e) throw new NotSure();
    if (placeholder === undefined) return;
    this.parts.push(this.sql.slice(this.copiedTo, start), placeholder);
    this.copiedTo = this.at;
    this.replaced++;
  }

  private digits(): { count: number; underscore: boolean } {
    let count = 0;
    let underscore = false;
    while (isDigit(this.code()) || (this.code() === 0x5f && isDigit(this.code(1)) && count > 0)) {
      if (this.code() === 0x5f) underscore = true;
      else count++;
      this.at++;
    }
    return { count, underscore };
  }
}
