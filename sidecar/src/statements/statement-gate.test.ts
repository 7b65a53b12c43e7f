import { ParseCache } from './parse-cache.js';
import { policyFixture } from './policy-fixture.js';
import { createStatementGate } from './statement-gate.js';
import { initStatementParser } from './statement-parser.js';

beforeAll(() => initStatementParser());

const approvers = { users: ['alice'] };
// DELETE waits for a human; reads of customers stop after 10 rows, any result after 1000.
const approvalPolicy = policyFixture({
  approval: {
    approvers,
    rules: [
      { classes: ['delete'] },
      { rowsOver: 1000 },
      { classes: ['read'], tables: ['public.customers'], rowsOver: 10 },
      { tables: ['sales.payouts'] },
    ],
  },
});

describe('empty query strings', () => {
  it('allows an empty Query and Parse, which PostgreSQL answers with EmptyQueryResponse', () => {
    const gate = createStatementGate(policyFixture());
    expect(gate.checkQuery('')).toMatchObject({ verdict: { action: 'allow' }, statements: [] });
    expect(gate.checkParse('e', '')).toMatchObject({
      verdict: { action: 'allow' },
      statements: [],
    });
  });
});

describe('parse failures', () => {
  it('carry the position PostgreSQL reports: 1-based characters in the whole string', () => {
    const gate = createStatementGate(policyFixture());
    expect(gate.checkQuery('SELEC 1').verdict).toMatchObject({ sqlstate: '42601', position: 1 });
    expect(gate.checkQuery('SELECT 1; SELEC 2').verdict).toMatchObject({ position: 11 });
    expect(gate.checkParse('p', "SELECT 'é🎉' FROM FROM").verdict).toMatchObject({
      position: 18,
    });
  });
});

describe('prepared statements', () => {
  it('checks EXECUTE as the statement PREPARE defined', () => {
    const gate = createStatementGate(approvalPolicy);
    expect(gate.checkQuery('PREPARE p(int) AS DELETE FROM orders WHERE id = $1').verdict).toEqual({
      action: 'approve',
      rule: 'approval.rules[0]',
      reason: 'delete on public.orders needs approval',
    });
    const check = gate.checkQuery('EXECUTE p(1)');
    expect(check.verdict).toMatchObject({ action: 'approve', rule: 'approval.rules[0]' });
    expect(check.statements[0]).toMatchObject({ class: 'delete', executes: ['p'] });
  });

  it('refuses EXECUTE of a name whose PREPARE was refused', () => {
    const gate = createStatementGate(policyFixture());
    expect(gate.checkQuery('PREPARE p AS DELETE FROM orders').verdict).toMatchObject({
      rule: 'guardrails.requireWhere',
    });
    expect(gate.checkQuery('EXECUTE p').verdict).toMatchObject({
      action: 'refuse',
      rule: 'prepared',
    });
  });

  it('keeps nothing of a refused string, PREPAREs included', () => {
    const gate = createStatementGate(policyFixture());
    expect(gate.checkQuery('PREPARE q AS SELECT 1; DROP TABLE t').verdict.action).toBe('refuse');
    expect(gate.checkQuery('EXECUTE q').verdict).toMatchObject({ rule: 'prepared' });
  });

  it('sees a PREPARE earlier in the same string', () => {
    const gate = createStatementGate(policyFixture());
    const check = gate.checkQuery('PREPARE a AS SELECT 1; EXECUTE a; DEALLOCATE a');
    expect(check.verdict).toEqual({ action: 'allow' });
    expect(gate.checkQuery('EXECUTE a').verdict).toMatchObject({ rule: 'prepared' });
  });

  it('forgets every name on DEALLOCATE ALL and DISCARD ALL', () => {
    const gate = createStatementGate(policyFixture());
    gate.checkQuery('PREPARE a AS SELECT 1');
    gate.checkParse('b', 'SELECT 2');
    gate.checkQuery('DISCARD ALL');
    expect(gate.checkQuery('EXECUTE a').verdict).toMatchObject({ rule: 'prepared' });
    expect(gate.checkExecute('b').verdict).toMatchObject({ rule: 'prepared' });
  });

  it('remembers a protocol Parse for Bind, until Close', () => {
    const gate = createStatementGate(approvalPolicy);
    expect(gate.checkParse('s1', 'DELETE FROM orders WHERE id = $1').verdict.action).toBe(
      'approve',
    );
    const bound = gate.checkExecute('s1');
    expect(bound.verdict).toMatchObject({ action: 'approve' });
    expect(bound.statements.map((s) => s.class)).toEqual(['delete']);
    expect(bound.parsed[0]?.node).toHaveProperty('DeleteStmt');
    gate.closeStatement('s1');
    expect(gate.checkExecute('s1').verdict).toMatchObject({ action: 'refuse', rule: 'prepared' });
  });

  it('does not remember a refused Parse', () => {
    const gate = createStatementGate(policyFixture());
    expect(gate.checkParse('s', "SELECT pg_read_file('x')").verdict.action).toBe('refuse');
    expect(gate.checkExecute('s').verdict).toMatchObject({ rule: 'prepared' });
  });

  it('shares one namespace between PREPARE and Parse, as PostgreSQL does', () => {
    const gate = createStatementGate(approvalPolicy);
    gate.checkParse('x', 'DELETE FROM orders WHERE id = 1');
    expect(gate.checkQuery('EXECUTE x').verdict).toMatchObject({ action: 'approve' });
  });

  it('drops the unnamed statement when a simple Query passes', () => {
    const gate = createStatementGate(policyFixture());
    gate.checkParse('', 'SELECT 1');
    expect(gate.checkExecute('').verdict).toEqual({ action: 'allow' });
    gate.checkQuery('SELECT 2');
    expect(gate.checkExecute('').verdict).toMatchObject({ rule: 'prepared' });
  });

  it('replaces the unnamed statement on each Parse', () => {
    const gate = createStatementGate(approvalPolicy);
    gate.checkParse('', 'DELETE FROM orders WHERE id = 1');
    gate.checkParse('', 'SELECT 1');
    expect(gate.checkExecute('').verdict).toEqual({ action: 'allow' });
  });

  it('checks a name defined twice against both definitions', () => {
    // PostgreSQL refuses the second Parse of a name it holds; the gate cannot know which one
    // the server kept, so it keeps both.
    const gate = createStatementGate(approvalPolicy);
    gate.checkParse('n', 'SELECT 1');
    gate.checkParse('n', 'DELETE FROM orders WHERE id = 1');
    expect(gate.checkExecute('n').verdict).toMatchObject({ action: 'approve' });
  });

  it('resolves an EXECUTE held in a prepared statement when it is bound', () => {
    const gate = createStatementGate(approvalPolicy);
    gate.checkQuery('PREPARE x AS SELECT 1');
    gate.checkParse('y', 'EXECUTE x');
    expect(gate.checkExecute('y').verdict).toEqual({ action: 'allow' });
    gate.checkQuery('DEALLOCATE x');
    gate.checkQuery('PREPARE x AS DELETE FROM orders WHERE id = 1');
    expect(gate.checkExecute('y').verdict).toMatchObject({ action: 'approve' });
    gate.checkQuery('DEALLOCATE x');
    expect(gate.checkExecute('y').verdict).toMatchObject({ action: 'refuse', rule: 'prepared' });
  });

  it('stops a chain of EXECUTEs that runs in a circle', () => {
    const gate = createStatementGate(policyFixture());
    gate.checkQuery('PREPARE a AS SELECT 1');
    gate.checkParse('b', 'EXECUTE a');
    // A second definition of a, kept beside the first: now a runs b and b runs a.
    expect(gate.checkParse('a', 'EXECUTE b').verdict).toEqual({ action: 'allow' });
    expect(gate.checkExecute('b').verdict).toMatchObject({ action: 'refuse', rule: 'prepared' });
  });
});

describe('approvals', () => {
  it('holds a statement whose class a rule names', () => {
    const gate = createStatementGate(approvalPolicy);
    expect(gate.checkQuery('DELETE FROM orders WHERE id = 1').verdict).toMatchObject({
      action: 'approve',
      rule: 'approval.rules[0]',
    });
    expect(gate.checkQuery('SELECT * FROM orders').verdict).toEqual({ action: 'allow' });
  });

  it('holds a statement touching a table a rule names, written unqualified or not', () => {
    const gate = createStatementGate(approvalPolicy);
    expect(gate.checkQuery('SELECT * FROM sales.payouts').verdict).toMatchObject({
      rule: 'approval.rules[3]',
    });
    expect(gate.checkQuery('SELECT * FROM payouts').verdict).toMatchObject({
      rule: 'approval.rules[3]',
    });
  });

  it('refuses rather than holds when guardrails refuse', () => {
    const gate = createStatementGate(approvalPolicy);
    expect(gate.checkQuery('DELETE FROM orders WHERE id = 1; DELETE FROM t').verdict).toMatchObject(
      { action: 'refuse', rule: 'guardrails.requireWhere' },
    );
  });

  it('gives the smallest row threshold of the rules that watch the statements', () => {
    const gate = createStatementGate(approvalPolicy);
    const customers = gate.checkQuery('SELECT * FROM customers').statements;
    const orders = gate.checkQuery('SELECT * FROM orders').statements;
    expect(gate.rowThreshold(customers)).toEqual({ rowsOver: 10, rule: 'approval.rules[2]' });
    expect(gate.rowThreshold(orders)).toEqual({ rowsOver: 1000, rule: 'approval.rules[1]' });
    expect(createStatementGate(policyFixture()).rowThreshold(orders)).toBeUndefined();
  });
});

describe('parse cache', () => {
  it('parses a text once for every session sharing the cache', () => {
    const cache = new ParseCache();
    const first = createStatementGate(policyFixture(), { cache });
    const second = createStatementGate(approvalPolicy, { cache });
    expect(first.checkQuery('DELETE FROM orders WHERE id = 1').cacheHit).toBe(false);
    const again = second.checkQuery('DELETE FROM orders WHERE id = 1');
    expect(again.cacheHit).toBe(true);
    expect(again.verdict.action).toBe('approve');
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, evictions: 0, size: 1 });
  });

  it('answers the text it just answered with the same outcome, without a second lookup', () => {
    const cache = new ParseCache();
    // Shared by shape: every lookup of it builds a new outcome for its own text.
    const sql = 'SELECT * FROM orders WHERE id = 7';
    const first = cache.parse(sql);
    const repeated = cache.parse(sql);
    expect(repeated).toEqual({ outcome: first.outcome, cacheHit: true });
    expect(repeated.outcome).toBe(first.outcome);
    cache.parse('SELECT 1');
    const later = cache.parse(sql);
    expect(later.outcome).not.toBe(first.outcome);
    expect(later.outcome).toEqual(first.outcome);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2 });
  });

  it('keeps the most recently used texts within its bounds', () => {
    // Texts without numbers: those differing only in numbers share one entry.
    const cache = new ParseCache({ maxEntries: 2 });
    cache.parse('SELECT a');
    cache.parse('SELECT b');
    cache.parse('SELECT a');
    cache.parse('SELECT c');
    expect(cache.parse('SELECT a').cacheHit).toBe(true);
    expect(cache.parse('SELECT b').cacheHit).toBe(false);
    expect(cache.stats().evictions).toBe(2);
  });

  it('hands out statement infos no session can change for the others', () => {
    const cache = new ParseCache();
    const [info] = createStatementGate(policyFixture(), { cache }).checkQuery(
      'SELECT * FROM orders',
    ).statements;
    expect(() => info!.tables.read.push('public.other')).toThrow(TypeError);
    expect(Object.isFrozen(info)).toBe(true);
  });

  it('remembers a refusal too', () => {
    const cache = new ParseCache();
    expect(cache.parse('SELEC 1')).toMatchObject({ cacheHit: false, outcome: { ok: false } });
    expect(cache.parse('SELEC 1')).toMatchObject({ cacheHit: true, outcome: { ok: false } });
  });

  it('returns the parse tree for column lineage', () => {
    const gate = createStatementGate(policyFixture());
    const [parsed] = gate.checkQuery('SELECT email FROM customers').parsed;
    expect(parsed?.node).toHaveProperty('SelectStmt');
  });
});
