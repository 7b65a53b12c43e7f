import { scrubStatement, scrubValues } from './value-scrubber.js';

describe('scrubValues', () => {
  it('replaces values the detectors find with their kind', () => {
    const text = 'mail alice@example.com card 4111 1111 1111 1111 ok';
    const scrubbed = scrubValues(text);
    expect(scrubbed).not.toContain('alice@example.com');
    expect(scrubbed).not.toContain('4111 1111 1111 1111');
    expect(scrubbed).toContain('[email]');
    expect(scrubbed).toContain('[credit_card]');
    expect(scrubbed.endsWith(' ok')).toBe(true);
  });

  it('leaves text without sensitive values as it is', () => {
    expect(scrubValues('SELECT id FROM orders WHERE amount > 10')).toBe(
      'SELECT id FROM orders WHERE amount > 10',
    );
  });
});

describe('scrubStatement', () => {
  it('always removes passwords, whatever the quoting', () => {
    for (const sql of [
      "ALTER ROLE x PASSWORD 'hunter2'",
      "CREATE USER x WITH password E'hun\\'ter2'",
      'ALTER ROLE x PASSWORD $p$hunter2$p$',
    ]) {
      expect(scrubStatement(sql, false)).not.toContain('hunter2');
    }
  });

  it('removes every string constant of a statement on a classified table', () => {
    const sql = "SELECT id FROM customers WHERE name = 'Ada Lovelace' AND note = $$x$$";
    const scrubbed = scrubStatement(sql, true);
    expect(scrubbed).not.toContain('Ada Lovelace');
    expect(scrubbed).toContain("name = '[redacted]'");
    expect(scrubStatement(sql, false)).toContain('Ada Lovelace');
  });
});
