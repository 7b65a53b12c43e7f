import { BYPASS_CORPUS, bypassPolicy } from './bypass-corpus.js';
import { createStatementGate } from './statement-gate.js';
import { initStatementParser } from './statement-parser.js';

beforeAll(() => initStatementParser());

describe('bypass corpus', () => {
  const policy = bypassPolicy();

  it.each(BYPASS_CORPUS.map((attempt) => [attempt.name, attempt] as const))(
    '%s',
    (_name, attempt) => {
      const gate = createStatementGate(policy);
      for (const sql of attempt.setup ?? []) {
        expect(gate.checkQuery(sql).verdict).toEqual({ action: 'allow' });
      }
      const { verdict } = gate.checkQuery(attempt.sql);
      expect(verdict).toMatchObject(attempt.expect);
      // A missing prepared statement is answered as PostgreSQL would (26000), unnamed.
      if (verdict.action === 'refuse' && !verdict.asServer) {
        expect(verdict.message).toContain('Portcullis policy "shop/bypass" refuses');
      }
    },
  );

  it('holds both outcomes, so it tests the gate in both directions', () => {
    const actions = new Set(BYPASS_CORPUS.map((a) => a.expect.action));
    expect([...actions].sort()).toEqual(['allow', 'refuse']);
    expect(new Set(BYPASS_CORPUS.map((a) => a.name)).size).toBe(BYPASS_CORPUS.length);
  });
});
