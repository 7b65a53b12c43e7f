import { fieldsOf, listOf, nodeOf, stringOf } from './lineage/parse-tree.js';

/** How COPY ... TO STDOUT writes rows, from the statement's options. */
export interface CopyFormat {
  format: 'text' | 'csv' | 'binary';
  delimiter: string;
  /** The text that stands for NULL: `\N` in text, the empty unquoted string in CSV. */
  nullText: string;
  quote: string;
  escape: string;
  /** A header line comes first (CSV, and text since PostgreSQL 15). */
  header: boolean;
}

/**
 * The output format of a parsed CopyStmt's options, new style (`WITH (FORMAT csv)`) and old
 * (`CSV HEADER`), which the parser turns into the same DefElem list.
 * https://www.postgresql.org/docs/current/sql-copy.html
 */
export function copyFormat(copyStmt: unknown): CopyFormat {
  const options = new Map<string, unknown>();
  for (const item of listOf(fieldsOf(copyStmt, 'CopyStmt')?.options)) {
    const def = fieldsOf(item, 'DefElem');
    const name = stringOf(def?.defname);
    if (name !== undefined) options.set(name, def?.arg);
  }
  const text = (name: string): string | undefined => {
    const arg = nodeOf(options.get(name));
    return stringOf(arg?.fields.sval);
  };

  const format = (text('format') ?? 'text').toLowerCase();
  const csv = format === 'csv';
  const quote = text('quote') ?? '"';
  const headerArg = nodeOf(options.get('header'));
  const header =
    options.has('header') &&
    (headerArg === undefined ||
      headerArg.fields.boolval === true ||
      ['true', 'on', '1', 'match'].includes(
        (stringOf(headerArg.fields.sval) ?? '').toLowerCase(),
      ) ||
      headerArg.fields.ival === 1);
  return {
    format: csv ? 'csv' : format === 'binary' ? 'binary' : 'text',
    delimiter: text('delimiter') ?? (csv ? ',' : '\t'),
    nullText: text('null') ?? (csv ? '' : '\\N'),
    quote,
    escape: text('escape') ?? quote,
    header,
  };
}
