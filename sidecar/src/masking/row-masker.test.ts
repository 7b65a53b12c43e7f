import { describe, expect, it } from '@jest/globals';
import { readDataRow } from '../wire/backend-decoders.js';
import { dataRow } from '../wire/backend-messages.js';
import { MessageArena } from '../wire/message-arena.js';
import { GateError, SqlState } from '../errors/gate-error.js';
import { buildCellMask, type CellMask } from './cell-masks.js';
import { ResultMasker, RowShapeError, type ColumnAction } from './row-masker.js';

const textMask = (strategy: 'partial' | 'redact'): CellMask =>
  buildCellMask({ strategy, type: 'text', format: 0, hashKey: Buffer.alloc(32) })!;

// Masks of every kind of result: shorter, longer, empty, NULL, the cell itself, and the text
// masks that write in place (partial, redact).
const MASKS: CellMask[] = [
  textMask('partial'),
  textMask('redact'),
  () => Buffer.from('********'),
  (cell) => Buffer.concat([cell, cell]),
  () => Buffer.alloc(0),
  () => null,
  (cell) => cell,
  (cell) => cell.subarray(0, Math.min(1, cell.length)),
];

function masker(width: number, actions: ColumnAction[], rules = 2): ResultMasker {
  return new ResultMasker(width, actions, ['a', 'b'].slice(0, rules), new Uint32Array(rules), []);
}

/** The DataRow message body (no type byte, no length word) of these cells. */
function body(cells: (Buffer | null)[]): Buffer {
  return dataRow(cells).subarray(5);
}

describe('ResultMasker.maskDataRow', () => {
  it('writes the message maskRow and dataRow would, for random rows and masks', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const arena = new MessageArena(256);
    for (let round = 0; round < 2000; round++) {
      const width = random(7);
      const values = ['alice@example.com', '4111 1111 1111 1234', 'short', 'é@x.io', ''];
      const cells = Array.from({ length: width }, () => {
        if (random(5) === 0) return null;
        if (random(2) === 0) return Buffer.from(values[random(values.length)]!);
        return Buffer.from('x'.repeat(random(60)) + String(round));
      });
      // Columns in a random order, as the planner's actions may come.
      const indexes = [...Array(width).keys()].filter(() => random(2) === 0);
      indexes.sort(() => random(3) - 1);
      const actions = indexes.map((index) => ({
        index,
        mask: MASKS[random(MASKS.length)]!,
        rule: random(3) - 1,
      }));
      const viaCells = masker(width, actions);
      const viaBody = masker(width, actions);
      const expected = dataRow(viaCells.maskRow(cells.map((c) => (c ? Buffer.from(c) : c))));
      expect(viaBody.maskDataRow(body(cells), arena)).toEqual(expected);
      expect(viaBody.takeCounts()).toEqual(viaCells.takeCounts());
      // The same body read in place inside the chunk it came in, between other messages.
      const chunk = Buffer.concat([Buffer.from('prefix'), body(cells), Buffer.from('next')]);
      const inChunk = masker(width, actions).maskDataRow(chunk, arena, 6, chunk.length - 4);
      expect(inChunk).toEqual(expected);
    }
  });

  it('leaves the row it read untouched and hands out regions that never overlap', () => {
    const arena = new MessageArena(64);
    const m = masker(2, [{ index: 1, mask: textMask('redact'), rule: 0 }]);
    const source = body([Buffer.from('id-1'), Buffer.from('alice@example.com')]);
    const copy = Buffer.from(source);
    const first = m.maskDataRow(source, arena);
    const second = m.maskDataRow(source, arena);
    expect(source).toEqual(copy);
    expect(readDataRow(first.subarray(5)).map(String)).toEqual(['id-1', '********']);
    expect(second).toEqual(first);
    expect(
      second.buffer === first.buffer && second.byteOffset < first.byteOffset + first.length,
    ).toBe(false);
    // A message larger than a chunk gets one of its own.
    const big = masker(1, [{ index: 0, mask: () => Buffer.alloc(500, 0x61), rule: 0 }]);
    expect(big.maskDataRow(body([Buffer.from('x')]), arena).length).toBe(1 + 4 + 2 + 4 + 500);
  });

  const violation = expect.objectContaining({ sqlstate: SqlState.protocolViolation });

  it('refuses rows of the wrong width and malformed rows', () => {
    const m = masker(2, [{ index: 0, mask: MASKS[0]!, rule: 0 }]);
    const arena = new MessageArena();
    expect(() => m.maskDataRow(body([Buffer.from('a')]), arena)).toThrow(RowShapeError);
    expect(() => m.maskDataRow(body([null, null, null]), arena)).toThrow(RowShapeError);
    const truncated = body([Buffer.from('abc'), Buffer.from('def')]).subarray(0, 12);
    expect(() => m.maskDataRow(truncated, arena)).toThrow(GateError);
    const negative = body([Buffer.from('abc'), null]);
    negative.writeInt32BE(-2, 2);
    expect(() => m.maskDataRow(negative, arena)).toThrow(GateError);
    expect(() => m.maskDataRow(Buffer.alloc(1), arena)).toThrow(GateError);
    try {
      m.maskDataRow(truncated, arena);
    } catch (error) {
      expect(error).toEqual(violation);
    }
  });
});
