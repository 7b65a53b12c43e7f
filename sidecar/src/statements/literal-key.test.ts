import { literalShape } from './literal-key.js';

// The key with its placeholders written as <i> (ICONST) and <f> (FCONST), for reading.
function keyOf(sql: string): string | undefined {
  return literalShape(sql)?.key.replaceAll('\u0000i', '<i>').replaceAll('\u0000f', '<f>');
}

describe('literalShape', () => {
  it.each([
    [
      'integer',
      'SELECT abalance FROM a WHERE aid = 12345;',
      'SELECT abalance FROM a WHERE aid = <i>;',
    ],
    ['decimal', 'SELECT 1.5', 'SELECT <f>'],
    ['exponent', 'SELECT 1.5e-3, 2E+7, 3e2', 'SELECT <f>, <f>, <f>'],
    ['leading point', 'SELECT .5', 'SELECT <f>'],
    ['trailing point', 'SELECT 1.', 'SELECT <f>'],
    ['point then exponent', 'SELECT 1.e5', 'SELECT <f>'],
    ['operators around numbers', 'SELECT -1+2*3/4', 'SELECT -<i>+<i>*<i>/<i>'],
    ['cast', 'SELECT 1::int', 'SELECT <i>::int'],
    ['qualified name then number', 'SELECT a.b FROM t WHERE x>1', 'SELECT a.b FROM t WHERE x><i>'],
    ['string with doubled quote', "SELECT 'it''s 1', 2", "SELECT 'it''s 1', <i>"],
    ['E string with escaped backslash', "SELECT E'\\\\' , 1", "SELECT E'\\\\' , <i>"],
    ['E string with escaped quote', "SELECT E'\\' 1', 2", "SELECT E'\\' 1', <i>"],
    ['N string', "SELECT N'1', 2", "SELECT N'1', <i>"],
    ['U& string', "SELECT U&'d\\0061t 1', 2", "SELECT U&'d\\0061t 1', <i>"],
    ['bit strings', "SELECT B'101', X'1F', 3", "SELECT B'101', X'1F', <i>"],
    ['dollar quote', 'SELECT $$ 1 $$, 2', 'SELECT $$ 1 $$, <i>'],
    ['nested dollar tags', 'SELECT $a$ $b$ 1 $b$ $a$, 2', 'SELECT $a$ $b$ 1 $b$ $a$, <i>'],
    ['dollar tag with digits', 'SELECT $t1$ 1 $t1$, 2', 'SELECT $t1$ 1 $t1$, <i>'],
    ['line comment', 'SELECT 1 -- 2\n, 3', 'SELECT <i> -- 2\n, <i>'],
    ['nested block comment', 'SELECT /* /* 1 */ 2 */ 3', 'SELECT /* /* 1 */ 2 */ <i>'],
    ['quoted name', 'SELECT "col 1", 2 FROM t', 'SELECT "col 1", <i> FROM t'],
    ['quoted name with doubled quote', 'SELECT "a""1", 2', 'SELECT "a""1", <i>'],
    ['parameter', 'SELECT $1 + 2', 'SELECT $1 + <i>'],
    [
      'digits inside names',
      'SELECT col2 FROM t1 WHERE x$1 = 3',
      'SELECT col2 FROM t1 WHERE x$1 = <i>',
    ],
    ['trailing semicolon and comment', 'SELECT 1; -- done', 'SELECT <i>; -- done'],
    // Kept as written: a PostgreSQL 16 spelling, or an integer that may overflow int32.
    ['hex integer', 'SELECT 0x1F, 1', 'SELECT 0x1F, <i>'],
    ['octal and binary integers', 'SELECT 0o17, 0b101, 1', 'SELECT 0o17, 0b101, <i>'],
    ['underscores', 'SELECT 1_000, 1_000.5, 1', 'SELECT 1_000, 1_000.5, <i>'],
    ['ten digits', 'SELECT 2147483648, 1', 'SELECT 2147483648, <i>'],
  ])('%s', (_name, sql, key) => {
    expect(keyOf(sql)).toBe(key);
  });

  it.each([
    ['number run into a name', 'SELECT 123abc'],
    ['hex run into a name', 'SELECT 0x1Fg'],
    ['exponent without digits', 'SELECT 1e'],
    ['two points', 'SELECT 1..2'],
    ['number then point', 'SELECT 1.2.3'],
    ['trailing underscore', 'SELECT 1_'],
    ['parameter run into a name', 'SELECT $1a, 2'],
    ['no numbers', 'SELECT a FROM t'],
    ['numbers only in strings', "SELECT '1'"],
    ['unterminated string', "SELECT 1, 'abc"],
    ['unterminated E string', "SELECT 1, E'\\'"],
    ['unterminated quoted name', 'SELECT 1, "abc'],
    ['unterminated dollar quote', 'SELECT 1, $a$ x $b$'],
    ['unterminated block comment', 'SELECT 1 /* /* */'],
    ['lone dollar', 'SELECT 1, $ x'],
    ['two statements', 'SELECT 1; SELECT 2'],
    ['non-ASCII', "SELECT 1, 'é'"],
    ['control character', 'SELECT 1\u0000'],
    ['bit string followed by quote', "SELECT B'1''1', 2"],
    ['EXPLAIN reads ANALYZE 0/1', 'EXPLAIN (ANALYZE 0) DELETE FROM t WHERE id = 1'],
    ['COPY reads HEADER 1', 'COPY t TO STDOUT (HEADER 1)'],
    ['parser setting', 'SET standard_conforming_strings = 1'],
    ['parser setting, quoted', 'SET "Client_Encoding" = 6'],
    ['U& name', 'SELECT U&"a" FROM t WHERE x = 1'],
  ])('declines: %s', (_name, sql) => {
    expect(literalShape(sql)).toBeUndefined();
  });

  it('gives texts differing only in numbers one key, and the statement text of each', () => {
    const a = literalShape('  SELECT * FROM t WHERE id = 1 AND v > 2.5 ; ');
    const b = literalShape('  SELECT * FROM t WHERE id = 99999 AND v > 0.125 ; ');
    expect(a?.key).toBe(b?.key);
    expect(a?.statementText).toBe('SELECT * FROM t WHERE id = 1 AND v > 2.5');
    expect(b?.statementText).toBe('SELECT * FROM t WHERE id = 99999 AND v > 0.125');
    expect(literalShape('SELECT 1')?.key).not.toBe(literalShape('SELECT 1.0')?.key);
    expect(literalShape('SELECT 1 e5')?.key).not.toBe(literalShape('SELECT 1e5')?.key);
  });
});
