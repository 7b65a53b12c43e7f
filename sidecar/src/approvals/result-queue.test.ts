import { ResultQueue } from './result-queue.js';

describe('ResultQueue', () => {
  it('gives each pipelined Execute its own threshold and skips to Sync after an error', () => {
    const queue = new ResultQueue();
    queue.execute(10, 'approval.rules[0]');
    queue.execute(undefined, undefined);
    queue.sync();
    queue.execute(5, 'approval.rules[1]');
    queue.sync();

    expect(queue.current()?.rowsOver).toBe(10);
    queue.resultDone(false);
    expect(queue.current()?.rowsOver).toBeUndefined();
    queue.error();
    expect(queue.current()).toBeUndefined();
    queue.readyForQuery();
    expect(queue.current()?.rowsOver).toBe(5);
  });

  it('keeps a Query current across its statements, counting each result afresh', () => {
    const queue = new ResultQueue();
    queue.query(3, 'r');
    const result = queue.current()!;
    result.rows = 3;
    queue.resultDone(false);
    expect(queue.current()).toBe(result);
    expect(result.rows).toBe(0);
    queue.readyForQuery();
    expect(queue.current()).toBeUndefined();
  });

  it('carries the count of a suspended portal to its next Execute', () => {
    const queue = new ResultQueue();
    queue.execute(10, 'r');
    queue.execute(10, 'r');
    queue.current()!.rows = 7;
    queue.resultDone(true);
    expect(queue.current()?.rows).toBe(7);
  });
});
