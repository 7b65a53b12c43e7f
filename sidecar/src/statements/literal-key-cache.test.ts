import { BYPASS_CORPUS, bypassPolicy } from './bypass-corpus.js';
import { literalShape } from './literal-key.js';
import { ParseCache } from './parse-cache.js';
import { policyFixture } from './policy-fixture.js';
import { createStatementGate } from './statement-gate.js';
import { initStatementParser } from './statement-parser.js';

beforeAll(() => initStatementParser());

// Statements whose numbers sit where a decision could care: WHERE, LIMIT, FETCH, function
// arguments, SET values, EXPLAIN and COPY options, PREPARE bodies.
const WITH_NUMBERS = [
  'SELECT abalance FROM pgbench_accounts WHERE aid = 12345;',
  'UPDATE pgbench_accounts SET abalance = abalance + -4321 WHERE aid = 77;',
  'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (3, 1, 42, 17, now());',
  'DELETE FROM orders WHERE id = 5',
  'DELETE FROM orders WHERE 1 = 1',
  'DELETE FROM customers WHERE id = 5',
  'UPDATE orders SET total = 1.5e3 WHERE 2 > 1',
  'SELECT * FROM orders ORDER BY 1 LIMIT 10 OFFSET 5',
  'SELECT * FROM orders FETCH FIRST 3 ROWS ONLY',
  'FETCH 5 FROM c',
  'MOVE FORWARD 2 IN c',
  'SELECT pg_sleep(1)',
  'SELECT lo_unlink(16384)',
  "SELECT set_config('statement_timeout', '1000', false), 1",
  'SET statement_timeout = 1000',
  'SET standard_conforming_strings = 1',
  'SET client_encoding = 6',
  'EXPLAIN (ANALYZE 1) DELETE FROM orders WHERE id = 1',
  'EXPLAIN (ANALYZE 0) DELETE FROM orders WHERE id = 1',
  'COPY orders TO STDOUT (FORMAT csv, HEADER 1)',
  'PREPARE p AS SELECT * FROM orders WHERE id = 3',
  'SELECT $1::int + 5 FROM orders WHERE id = $2',
  'SELECT 1.5, .25, 7., 2147483648, 0x1F FROM orders WHERE id IN (1, 2, 3)',
  'WITH x AS (SELECT 1 AS id) DELETE FROM orders WHERE id = (SELECT id FROM x)',
  'SELECT generate_series(1, 10)',
  'DECLARE c CURSOR FOR SELECT * FROM orders WHERE id < 100',
  'ALTER ROLE app SET standard_conforming_strings = 0',
  'SELECT (1).x, t1.col2 FROM t1 WHERE t1.id = 4',
];

// Another text of the same shape: every replaced constant given another value.
function variant(sql: string): string | undefined {
  const shape = literalShape(sql);
  if (shape === undefined) return undefined;
  let n = 0;
  const value = (kind: string): string => {
    n++;
    return kind === 'i' ? String(900000 + n) : `${n}.0625`;
  };
  return shape.key
    .split('\u0000')
    .map((part, i) => (i === 0 ? part : `${value(part[0] ?? '')}${part.slice(1)}`))
    .join('');
}

function run(gate: ReturnType<typeof createStatementGate>, setup: readonly string[], sql: string) {
  for (const s of setup) gate.checkQuery(s);
  return gate.checkQuery(sql);
}

describe('a cache shared by numeric variants', () => {
  const cases = [
    ...BYPASS_CORPUS.map((a) => ({ policy: bypassPolicy(), setup: a.setup ?? [], sql: a.sql })),
    ...WITH_NUMBERS.map((sql) => ({ policy: policyFixture(), setup: [], sql })),
  ];

  it('gives every variant the verdict and statements it gets uncached', () => {
    let shared = 0;
    for (const { policy, setup, sql } of cases) {
      const other = variant(sql);
      if (other === undefined) continue;
      const cache = new ParseCache();
      run(createStatementGate(policy, { cache }), setup, sql);
      const warm = run(createStatementGate(policy, { cache }), setup, other);
      const fresh = run(createStatementGate(policy), setup, other);
      expect({ sql: other, verdict: warm.verdict }).toEqual({ sql: other, verdict: fresh.verdict });
      expect(warm.statements).toEqual(fresh.statements);
      expect(warm.parsed.map((p) => p.info)).toEqual(fresh.parsed.map((p) => p.info));
      if (warm.cacheHit) shared++;
    }
    // The test means something only if many variants did come from the cache.
    expect(shared).toBeGreaterThan(20);
  });

  it('never shares a statement whose decision reads a constant', () => {
    const cache = new ParseCache();
    const gate = createStatementGate(policyFixture(), { cache });
    expect(gate.checkQuery('SET standard_conforming_strings = 1').verdict.action).toBe('allow');
    const off = gate.checkQuery('SET standard_conforming_strings = 0');
    expect(off).toMatchObject({ cacheHit: false, verdict: { action: 'refuse' } });
    gate.checkQuery('EXPLAIN (ANALYZE 0) DELETE FROM orders');
    expect(gate.checkQuery('EXPLAIN (ANALYZE 1) DELETE FROM orders').cacheHit).toBe(false);
  });

  it('keeps refusals to their own text, position included', () => {
    const cache = new ParseCache();
    expect(cache.parse('SELEC 1').outcome).toMatchObject({ ok: false, position: 1 });
    const other = cache.parse('  SELEC 12345');
    expect(other).toMatchObject({ cacheHit: false, outcome: { ok: false, position: 3 } });
  });

  it('hands each variant its own statement text', () => {
    const cache = new ParseCache();
    cache.parse('SELECT * FROM orders WHERE id = 1;');
    const { outcome, cacheHit } = cache.parse('SELECT * FROM orders WHERE id = 23456;');
    expect(cacheHit).toBe(true);
    expect(outcome.ok && outcome.statements[0]?.info.text).toBe(
      'SELECT * FROM orders WHERE id = 23456',
    );
    expect(outcome.ok && Object.isFrozen(outcome.statements[0]?.info)).toBe(true);
  });
});
