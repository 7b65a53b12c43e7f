import { DETECTORS } from './detectors/index.js';
import { REDACTED } from './strategies.js';

// Places where PostgreSQL quotes data values in ErrorResponse and NoticeResponse text:
//   M: invalid input syntax for type integer: "alice@example.com"
//   M: value "99999999999" is out of range for type integer
//   D: Key (email)=(alice@example.com) already exists.
//   D: Failing row contains (1, alice@example.com, null).
//   D: Token "alice" is invalid.        W: JSON data, line 1: alice...
const VALUE_PATTERNS: readonly [RegExp, string][] = [
  [
    /(Key \([^)]*\)=\().*?(\)(?: already exists| is not present| conflicts|\.|$))/gs,
    `$1${REDACTED}$2`,
  ],
  [/(Failing row contains \().*(\)\.?)$/gs, `$1${REDACTED}$2`],
  [/(: )"(?:[^"]|"")*"$/g, `$1"${REDACTED}"`],
  [/\b(value |Token )"(?:[^"]|"")*"/g, `$1"${REDACTED}"`],
  [/(JSON data, line \d+: ).*$/gm, `$1${REDACTED}`],
  // Past the shapes above, any quoted text may be a value used as a name: a setting, a time
  // zone, a schema (`email::regclass`), a file, an encoding, a to_date field, a digit. The
  // server does not escape quotes inside them, so all from a line's first quote to its last
  // goes; an identifier the client wrote itself goes with it (the client knows it already).
  [/"[^\n]*"/g, `"${REDACTED}"`],
  // SQL literals in the text of a failed internal query (field q, `EXECUTE format('%L', v)`).
  [/'[^\n]*'/g, `'${REDACTED}'`],
  [/\$([A-Za-z_0-9]*)\$[\s\S]*?\$\1\$/g, REDACTED],
  // Lines after the first echo input: the XML parser's detail repeats the document.
  [/\n[\s\S]*$/g, `\n${REDACTED}`],
];

/**
 * Scrubs data values out of server text the client will see (ErrorResponse and NoticeResponse
 * fields M, D, W, H, q): a statement on classified data could otherwise leak a value through
 * an error, such as `select email::int from customers`. With `strict` (the statement reads
 * classified data, or is unknown) every quoted text, the shapes above and lines after the
 * first are redacted; always, every value a detector recognises is.
 * NOTE: a value written unquoted outside the shapes above (RAISE text in a function or DO
 * block, `date field value out of range: 1-01-1200` from make_date) is only detector-scrubbed;
 * the relay scrubs NOTIFY payloads with the detectors only (not strict: they are bare values).
 */
export function scrubServerText(text: string, strict: boolean): string {
  let out = text;
  if (strict)
    for (const [pattern, replacement] of VALUE_PATTERNS) out = out.replace(pattern, replacement);
  for (const detect of Object.values(DETECTORS)) {
    const found = detect(out);
    for (let i = found.length - 1; i >= 0; i--) {
      const { start, end } = found[i]!;
      out = out.slice(0, start) + REDACTED + out.slice(end);
    }
  }
  return out;
}
