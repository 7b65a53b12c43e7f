import { STATEMENT_CLASSES } from '@portcullis/crds';
import { BYPASS_CORPUS } from './bypass-corpus.js';
import { policyFixture } from './policy-fixture.js';
import { createStatementGate } from './statement-gate.js';
import { initStatementParser } from './statement-parser.js';

beforeAll(() => initStatementParser());

// Bounded by time, not iterations, so slow CI machines spend the same wall clock;
// PORTCULLIS_FUZZ_MS and PORTCULLIS_FUZZ_SEED lengthen or replay a run.
const BUDGET_MS = Number(process.env.PORTCULLIS_FUZZ_MS ?? 2500);
const SEED = Number(process.env.PORTCULLIS_FUZZ_SEED ?? Date.now() % 2 ** 31);

/** A small deterministic generator (mulberry32), so a failing seed can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const PIECES = [
  'SELECT',
  'DELETE',
  'FROM',
  'WHERE',
  'WITH',
  'AS',
  '(',
  ')',
  ';',
  "'",
  '"',
  '$$',
  '$x$',
  '/*',
  '*/',
  '--',
  '\n',
  "E'",
  'U&"',
  '\\',
  'EXPLAIN',
  'ANALYZE',
  'PREPARE',
  'EXECUTE',
  'COPY',
  'PROGRAM',
  'SET',
  'ROLE',
  'set_config',
  'pg_read_file',
  '::',
  '[',
  ']',
  ',',
  '*',
  'LATERAL',
  'RETURNING',
  'MERGE',
  'USING',
  'ON',
  'INTO',
  'orders',
  'é',
  '\u0000',
  '\uffff',
  '𝔘',
];

function mutate(text: string, next: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  let out = text;
  const edits = 1 + Math.floor(next() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (out.length + 1));
    const choice = next();
    if (choice < 0.4) out = out.slice(0, at) + pick(PIECES) + ' ' + out.slice(at);
    else if (choice < 0.7) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(next() * 5));
    else if (choice < 0.85)
      out = out.slice(0, at) + String.fromCharCode(next() * 0x2ff) + out.slice(at);
    else out = out + ';' + pick(BYPASS_CORPUS).sql;
  }
  return out;
}

function randomText(next: () => number): string {
  const length = Math.floor(next() * 120);
  let out = '';
  for (let i = 0; i < length; i++) {
    out +=
      next() < 0.5
        ? String.fromCharCode(32 + Math.floor(next() * 95))
        : PIECES[Math.floor(next() * PIECES.length)];
  }
  return out;
}

describe('classifier fuzz', () => {
  it(
    `never fails other than by a refusal (seed ${SEED})`,
    () => {
      const next = random(SEED);
      const gate = createStatementGate(policyFixture());
      const classes = new Set<string>(STATEMENT_CLASSES);
      const deadline = Date.now() + BUDGET_MS;
      let runs = 0;
      const seen = { allow: 0, refuse: 0, approve: 0 };

      while (Date.now() < deadline) {
        const base = BYPASS_CORPUS[Math.floor(next() * BYPASS_CORPUS.length)]!.sql;
        const sql = next() < 0.8 ? mutate(base, next) : randomText(next);
        const check = next() < 0.5 ? gate.checkQuery(sql) : gate.checkParse(`s${runs % 7}`, sql);

        seen[check.verdict.action]++;
        // A missing prepared statement is answered as PostgreSQL would (26000), unnamed.
        if (check.verdict.action === 'refuse' && check.verdict.asServer) {
          expect(check.verdict).toMatchObject({ rule: 'prepared', sqlstate: '26000' });
        } else if (check.verdict.action === 'refuse') {
          expect(check.verdict.message).toMatch(
            /^Portcullis policy "shop\/app" refuses .+ \(rule /s,
          );
        }
        for (const info of check.statements) {
          expect(classes.has(info.class)).toBe(true);
          expect(info.classes.every((c) => classes.has(c))).toBe(true);
        }
        runs++;
      }
      // The mutations must reach both sides, or the fuzz tests only the parser's error path.
      expect(seen.allow).toBeGreaterThan(0);
      expect(seen.refuse).toBeGreaterThan(0);
      expect(runs).toBeGreaterThan(100);
      // Jest's 5 s default is too close to the budget on a loaded CI machine.
    },
    BUDGET_MS + 30_000,
  );
});
