import { expect } from '@jest/globals';
import { digest, withSession } from '../suite-session.js';
import { binaryColumns, failure, ITEMS, result, type SuiteCase } from '../suite-case.js';

const MB10 = 10 * 1024 * 1024;

/** Queries and their results: protocols, parameters, types, sizes, settings. */
export const QUERY_CASES: readonly SuiteCase[] = [
  {
    name: 'simple query: rows, column names, types and origins',
    run: (t) => withSession(t, (s) => s.run(ITEMS)),
    shape: result('SELECT', 3),
  },
  {
    name: 'extended query without parameters',
    run: (t) => withSession(t, (s) => s.run({ text: ITEMS, queryMode: 'extended' })),
    shape: result('SELECT', 3),
  },
  {
    name: 'parameters of many types, NULLs among them',
    run: (t) =>
      withSession(t, (s) =>
        s.run({
          text:
            'SELECT $1::int4 AS i, $2::numeric AS n, $3::text AS t, $4::bytea AS b, ' +
            '$5::timestamptz AS ts, $6::json AS j, $7::int[] AS a, $8::text AS null_text, ' +
            '$9::bool AS flag, $10::float8 AS f, $11::int8 AS big',
          values: [
            -42,
            '12345678901234567890.123456789',
            "it's text",
            Buffer.from([0, 1, 2, 254, 255]),
            new Date(Date.UTC(2020, 1, 29, 12, 30, 45, 123)),
            JSON.stringify({ nested: [1, 2, { x: null }] }),
            [1, null, 3],
            null,
            true,
            Math.PI,
            '9007199254740993',
          ],
        }),
      ),
    shape: result('SELECT', 1),
  },
  {
    name: 'parameters written into a table and read back',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run({
          text: 'INSERT INTO conformance_items VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *',
          values: [
            10,
            'ten',
            '10.125',
            Buffer.from('\x00bin\xff'),
            '2030-06-01T00:00:00Z',
            '{}',
            ['a', 'b"c'],
          ],
        }),
        await s.run({
          text: 'UPDATE conformance_items SET amount = amount * $1 WHERE id <> $2',
          values: [2, 2],
        }),
        await s.run({ text: 'DELETE FROM conformance_items WHERE id = $1', values: [3] }),
        await s.run(ITEMS),
      ]),
    shape: [result('INSERT', 1), result('UPDATE', 3), result('DELETE', 1), result('SELECT', 3)],
  },
  {
    name: 'a named prepared statement run with several parameter sets',
    run: (t) =>
      withSession(t, async (s) => {
        const byId = {
          name: 'item_by_id',
          text: 'SELECT label, tags FROM conformance_items WHERE id = $1',
        };
        return [
          await s.run({ ...byId, values: [1] }),
          await s.run({ ...byId, values: [3] }),
          await s.run({ ...byId, values: [99] }),
          await s.run({ ...byId, values: ['not a number'] }),
          await s.run({ ...byId, values: [2] }),
        ];
      }),
    shape: [
      result('SELECT', 1),
      result('SELECT', 1),
      result('SELECT', 0),
      failure('22P02'),
      result('SELECT', 1),
    ],
  },
  {
    name: 'binary-format results',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run({ text: ITEMS, binary: true, queryMode: 'extended' }),
        await s.run({
          text: "SELECT $1::int4 AS i, 2.5::float8 AS f, true AS b, 'x'::text AS t, NULL::int AS n",
          values: [7],
          binary: true,
        }),
      ]),
    shape: [
      { ...binaryColumns, rowCount: 3 },
      { ...binaryColumns, rowCount: 1 },
    ],
  },
  {
    name: 'several statements in one simple query',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run(
          "SELECT 1 AS a; SELECT 'b' AS b, 2 AS c; INSERT INTO conformance_items (id, label) " +
            "VALUES (20, 'twenty'); " +
            "UPDATE conformance_items SET label = label || '!' WHERE id > 1;",
        ),
        await s.run(ITEMS),
      ]),
    shape: [
      [result('SELECT', 1), result('SELECT', 1), result('INSERT', 1), result('UPDATE', 3)],
      result('SELECT', 4),
    ],
  },
  {
    name: 'a 10 MB text value out, and in as a parameter',
    run: (t) =>
      withSession(t, async (s) => {
        const out = await s.run(`SELECT repeat('x', ${MB10}) AS big`);
        const big = 'é'.repeat(MB10 / 2);
        const back = await s.run({ text: 'SELECT length($1::text), md5($1::text)', values: [big] });
        const rows = 'rows' in out ? out.rows : [];
        return { value: digest(String(rows[0]?.[0])), back };
      }),
    shape: {
      value: digest('x'.repeat(MB10)),
      back: { rows: [[String(MB10 / 2), expect.any(String)]] },
    },
  },
  {
    name: 'unicode in values, identifiers and parameters',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run('SELECT \'héllo wörld 𝔘 日本語 🎉\' AS "ключ", length(\'🎉\') AS "長さ"'),
        await s.run({ text: 'SELECT $1::text || $2::text AS joined', values: ['Ωmega ', '𝔘ñí'] }),
        await s.run({
          text: 'INSERT INTO conformance_items (id, label) VALUES ($1, $2) RETURNING label',
          values: [80, '✓ ünïcode'],
        }),
      ]),
    shape: [result('SELECT', 1), result('SELECT', 1), result('INSERT', 1)],
  },
  {
    name: 'empty queries',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run(''),
        await s.run({ text: '', queryMode: 'extended' }),
        await s.run('   '),
        await s.run(';'),
        await s.run('-- only a comment'),
        await s.run('SELECT 1'),
      ]),
    shape: [{}, {}, {}, {}, {}, result('SELECT', 1)],
  },
  {
    name: 'session settings and what they change',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run("SET TimeZone = 'Asia/Kolkata'"),
        await s.run('SELECT at FROM conformance_items WHERE id = 1'),
        await s.run("SET DateStyle = 'German'"),
        await s.run("SELECT '2024-03-04'::date"),
        await s.run('SHOW TimeZone'),
        await s.run('RESET ALL'),
        await s.run('SHOW DateStyle'),
      ]),
    shape: [
      result('SET'),
      { rows: [['2024-01-02 08:34:05+05:30']] },
      result('SET'),
      { rows: [['04.03.2024']] },
      { rows: [['Asia/Kolkata']] },
      result('RESET'),
      { command: 'SHOW' },
    ],
  },
  {
    name: 'a result of 100 000 rows',
    run: (t) =>
      withSession(t, async (s) => {
        const out = await s.run(
          'SELECT n, md5(n::text), now() - now() AS zero FROM generate_series(1, 100000) AS n',
        );
        if (!('rows' in out)) return out;
        return { ...out, rows: digest(JSON.stringify(out.rows)) };
      }),
    shape: { command: 'SELECT', rowCount: 100_000 },
  },
  {
    name: 'values of many types, special values among them',
    run: (t) =>
      withSession(t, (s) =>
        s.run(
          "SELECT 'NaN'::numeric, 'infinity'::timestamptz, '-infinity'::date, " +
            "'1 year 2 mons 3 days 04:05:06.789'::interval, " +
            "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '192.168.0.1/24'::inet, " +
            "B'1011'::bit(4), '[1,10)'::int4range, 'a fat cat'::tsvector, point(1.5, -2), " +
            "'{{1,2},{3,4}}'::int[][], ROW(1, 'x', NULL), 1e300::float8, '-0'::float8, " +
            "'\\x'::bytea, ''::text, 12345678901234567890123456789.0123456789::numeric",
        ),
      ),
    shape: result('SELECT', 1),
  },
];
