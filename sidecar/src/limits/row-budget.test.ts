import { RowBudgets, rowLimitExceeded, ROW_LIMIT_SQLSTATE } from './row-budget.js';

describe('RowBudgets', () => {
  it('admits rows up to the limit within a minute, per identity', () => {
    let now = 1_000_000;
    const budgets = new RowBudgets(() => now);
    for (let i = 0; i < 5; i++) expect(budgets.take('a', 5)).toBe(true);
    expect(budgets.take('a', 5)).toBe(false);
    expect(budgets.take('b', 5)).toBe(true);
    now += 59_000;
    expect(budgets.take('a', 5)).toBe(false);
    expect(budgets.used('a')).toBe(5);
  });

  it('gives rows back second by second as they leave the 60 s window', () => {
    let now = 0;
    const budgets = new RowBudgets(() => now);
    expect(budgets.take('a', 3)).toBe(true);
    now = 10_000;
    expect(budgets.take('a', 3)).toBe(true);
    expect(budgets.take('a', 3)).toBe(true);
    expect(budgets.take('a', 3)).toBe(false);
    now = 60_000; // the row of second 0 left the window; those of second 10 have not
    expect(budgets.used('a')).toBe(2);
    expect(budgets.take('a', 3)).toBe(true);
    expect(budgets.take('a', 3)).toBe(false);
    now = 200_000;
    expect(budgets.used('a')).toBe(0);
  });

  it('forgets idle identities on prune', () => {
    let now = 0;
    const budgets = new RowBudgets(() => now);
    budgets.take('a', 3);
    now = 61_000;
    budgets.prune();
    expect(budgets.used('a')).toBe(0);
  });

  it('keeps a held window across prunes, so sessions of one identity share one budget', () => {
    let now = 0;
    const budgets = new RowBudgets(() => now);
    const first = budgets.hold('a');
    now = 120_000;
    budgets.prune();
    const second = budgets.hold('a');
    expect(second.window).toBe(first.window);
    expect(first.window.take(1)).toBe(true);
    expect(second.window.take(1)).toBe(false);
    first.release();
    second.release();
    now = 240_000;
    budgets.prune();
    expect(budgets.hold('a').window).not.toBe(first.window);
  });

  it('says which policy and rule stopped the rows, with SQLSTATE 53400', () => {
    const error = rowLimitExceeded('shop/web', 'system:serviceaccount:shop:web', 100);
    expect(error.sqlstate).toBe(ROW_LIMIT_SQLSTATE);
    expect(error.message).toContain('100 rows per minute');
    expect(error.detail).toBe('policy shop/web, rule limits.rowsPerMinute');
  });
});
