import type { CopyFormat } from './copy-format.js';
import type { ResultMasker, RuleCount } from './row-masker.js';

/** Masks the CopyData messages of one COPY ... TO STDOUT, each of which holds one row. */
export interface CopyOutMasker {
  /** False when nothing needs masking: messages pass untouched. */
  readonly active: boolean;
  /** Takes one CopyData payload and returns the payload to send instead. */
  maskData(data: Buffer): Buffer;
  /** Values masked per rule since the last call. */
  takeCounts(): RuleCount[];
}

/** Raised when a CopyData message cannot be read as a row of the expected shape. */
export class CopyRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyRowError';
  }
}

// PGCOPY\n\377\r\n\0, then a 32-bit flags field and a 32-bit header extension length.
const BINARY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * Wraps a row masker for COPY's wire formats. The server sends one CopyData message per row,
 * and the header line (or binary file header) as the first one.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-COPY
 * https://www.postgresql.org/docs/current/sql-copy.html#SQL-COPY-FILE-FORMATS
 */
export function copyOutMasker(format: CopyFormat, masker: ResultMasker): CopyOutMasker {
  let headerPending = format.header || format.format === 'binary';
  const split = format.format === 'csv' ? splitCsv : splitText;
  const join = format.format === 'csv' ? joinCsv : joinText;

  const maskData = (data: Buffer): Buffer => {
    if (!masker.active) return data;
    if (format.format === 'binary') {
      if (headerPending && data.subarray(0, BINARY_SIGNATURE.length).equals(BINARY_SIGNATURE)) {
        headerPending = false;
        return maskBinaryRows(data, headerLength(data), masker);
      }
      return maskBinaryRows(data, 0, masker);
    }
    if (headerPending) {
      headerPending = false;
      return data;
    }
    // Read bytes as latin1, one character per byte: delimiters, quotes and backslashes are
    // ASCII, which no byte of a multi-byte character in any server encoding can be mistaken
    // for, and unmasked fields go back out byte for byte.
    const line = data.toString('latin1');
    const body = line.endsWith('\n') ? line.slice(0, line.endsWith('\r\n') ? -2 : -1) : line;
    const ending = line.slice(body.length);
    const cells = split(body, format).map((v) => (v === null ? null : Buffer.from(v, 'latin1')));
    const masked = masker.maskRow(cells).map((c) => (c === null ? null : c.toString('latin1')));
    return Buffer.from(join(masked, format) + ending, 'latin1');
  };
  return { active: masker.active, maskData, takeCounts: () => masker.takeCounts() };
}

// Text format: fields split by the delimiter, backslash escapes, NULL as `\N` (or the option).
function splitText(line: string, format: CopyFormat): (string | null)[] {
  const fields: (string | null)[] = [];
  let raw = '';
  let value = '';
  for (let i = 0; i <= line.length; i++) {
    const c = line[i];
    if (c === undefined || c === format.delimiter) {
      fields.push(raw === format.nullText ? null : value);
      raw = '';
      value = '';
      continue;
    }
    if (c !== '\\' || i + 1 >= line.length) {
      raw += c;
      value += c;
      continue;
    }
    const next = line[++i]!;
    raw += c + next;
    value += TEXT_UNESCAPES[next] ?? next;
  }
  return fields;
}

// NOTE: octal (\123) and hex (\x41) escapes are read as the letter after the backslash; COPY TO
// never writes them, only COPY FROM input may contain them.
const TEXT_UNESCAPES: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};
const TEXT_ESCAPES: Readonly<Record<string, string>> = {
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
};

function joinText(fields: (string | null)[], format: CopyFormat): string {
  return fields
    .map((f) => {
      if (f === null) return format.nullText;
      let out = '';
      for (const c of f) out += TEXT_ESCAPES[c] ?? (c === format.delimiter ? `\\${c}` : c);
      return out;
    })
    .join(format.delimiter);
}

// CSV: quoted fields may hold delimiters, quotes (doubled, or behind ESCAPE) and newlines; an
// unquoted field equal to the NULL text is NULL.
function splitCsv(line: string, format: CopyFormat): (string | null)[] {
  const fields: (string | null)[] = [];
  let i = 0;
  for (;;) {
    let value = '';
    let quoted = false;
    let raw = '';
    while (i < line.length && line[i] !== format.delimiter) {
      if (line[i] !== format.quote) {
        raw += line[i];
        value += line[i++];
        continue;
      }
      quoted = true;
      i = readQuoted(line, i + 1, format, (part) => (value += part));
    }
    fields.push(!quoted && raw === format.nullText ? null : value);
    if (i >= line.length) return fields;
    i++;
  }
}

// Reads a quoted CSV section from just after its opening quote; returns the index after the
// closing quote. Inside, ESCAPE before QUOTE (or before ESCAPE) stands for that character.
function readQuoted(
  line: string,
  from: number,
  format: CopyFormat,
  add: (s: string) => void,
): number {
  let i = from;
  for (;;) {
    if (i >= line.length) throw new CopyRowError('unterminated quoted CSV field');
    const c = line[i]!;
    const next = line[i + 1];
    if (c === format.escape && (next === format.quote || (next === c && c !== format.quote))) {
      add(next);
      i += 2;
      continue;
    }
    if (c === format.quote) return i + 1;
    add(c);
    i++;
  }
}

function joinCsv(fields: (string | null)[], format: CopyFormat): string {
  return fields
    .map((f) => {
      if (f === null) return format.nullText;
      const needsQuotes =
        f === format.nullText ||
        f.includes(format.delimiter) ||
        f.includes(format.quote) ||
        f.includes('\n') ||
        f.includes('\r');
      if (!needsQuotes) return f;
      const escaped = f.replaceAll(format.escape, format.escape + format.escape);
      const quoted =
        format.escape === format.quote
          ? escaped
          : escaped.replaceAll(format.quote, format.escape + format.quote);
      return format.quote + quoted + format.quote;
    })
    .join(format.delimiter);
}

function headerLength(data: Buffer): number {
  const extension = data.readUInt32BE(BINARY_SIGNATURE.length + 4);
  return BINARY_SIGNATURE.length + 8 + extension;
}

// Binary tuples: a 16-bit field count (-1 ends the data), then per field a 32-bit length (-1 for
// NULL) and the bytes in the type's binary send format.
function maskBinaryRows(data: Buffer, start: number, masker: ResultMasker): Buffer {
  if (start >= data.length) return data;
  const count = data.readInt16BE(start);
  if (count === -1) return data;
  const cells: (Buffer | null)[] = [];
  let at = start + 2;
  for (let f = 0; f < count; f++) {
    const length = data.readInt32BE(at);
    at += 4;
    cells.push(length < 0 ? null : data.subarray(at, at + length));
    if (length > 0) at += length;
  }
  if (at !== data.length) throw new CopyRowError('a binary COPY message holds more than one row');

  const masked = masker.maskRow(cells);
  const parts: Buffer[] = [data.subarray(0, start + 2)];
  for (const cell of masked) {
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(cell === null ? -1 : cell.length);
    parts.push(length);
    if (cell !== null) parts.push(cell);
  }
  return Buffer.concat(parts);
}
