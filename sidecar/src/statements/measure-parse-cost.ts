/**
 * Micro-benchmark of the statement gate: the cost per statement of a parse cache miss (parse
 * with libpg-query, then classify) against a hit (lookup, then the policy checks), both
 * measured in the same run. Not a test; run after `npx tsc --build`:
 *   node --expose-gc sidecar/dist/src/statements/measure-parse-cost.js
 */
import { parseSync } from 'libpg-query';
import { ParseCache } from './parse-cache.js';
import { policyFixture } from './policy-fixture.js';
import { createStatementGate } from './statement-gate.js';
import { initStatementParser, parseStatements } from './statement-parser.js';

const SAMPLES: Record<string, string> = {
  'pgbench select': 'SELECT abalance FROM pgbench_accounts WHERE aid = $1',
  'pgbench update': 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2',
  'join + CTE':
    'WITH recent AS (SELECT customer_id, sum(amount) AS total FROM orders ' +
    "WHERE status <> 'cancelled' GROUP BY customer_id) SELECT c.name, c.email, r.total " +
    'FROM customers c JOIN recent r ON r.customer_id = c.id WHERE r.total > $1 ' +
    'ORDER BY r.total DESC LIMIT 50',
  'ORM insert':
    'INSERT INTO orders (customer_id, amount, status) VALUES ($1, $2, $3) ' +
    'ON CONFLICT (id) DO UPDATE SET amount = excluded.amount RETURNING id',
};

// Phases run interleaved in short rounds and each reports its median round, so load from
// other processes that comes and goes shifts all phases alike instead of one.
const ROUNDS = 25;
const ROUND_NS = 20_000_000n;
// Present when node runs with --expose-gc: a collection before each round keeps one phase's
// garbage off the next phase's clock.
const collectGarbage = (globalThis as { gc?: () => void }).gc;

type Work = (i: number) => void;

// Nanoseconds per call of each phase, the median over the rounds.
function measure(phases: Work[]): number[] {
  for (const work of phases) for (let i = 0; i < 200; i++) work(i);
  const perRound: number[][] = phases.map(() => []);
  let counter = 0;
  for (let round = 0; round < ROUNDS; round++) {
    phases.forEach((work, p) => {
      collectGarbage?.();
      let calls = 0;
      const start = process.hrtime.bigint();
      let elapsed = 0n;
      while (elapsed < ROUND_NS) {
        for (let i = 0; i < 20; i++) work(counter++);
        calls += 20;
        elapsed = process.hrtime.bigint() - start;
      }
      perRound[p]!.push(Number(elapsed) / calls);
    });
  }
  return perRound.map((times) => times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!);
}

function micros(ns: number): string {
  return (ns / 1000).toFixed(2).padStart(8);
}

await initStatementParser();
const policy = policyFixture();
const out: string[] = ['statement          parse only  parse+classify   cached check   miss/hit'];
for (const [name, sql] of Object.entries(SAMPLES)) {
  const gate = createStatementGate(policy, { cache: new ParseCache() });
  // A trailing comment with a counter makes every text new, so nothing is cached.
  const [parseOnly, uncached, cached] = measure([
    (i) => parseSync(`${sql} -- ${i}`),
    (i) => parseStatements(`${sql} -- ${i}`),
    () => gate.checkQuery(sql),
  ]) as [number, number, number];
  const ratio = (uncached / cached).toFixed(0).padStart(8);
  out.push(
    `${name.padEnd(18)} ${micros(parseOnly)} µs ${micros(uncached)} µs ${micros(cached)} µs ${ratio}x`,
  );
}
process.stdout.write(`${out.join('\n')}\n`);
