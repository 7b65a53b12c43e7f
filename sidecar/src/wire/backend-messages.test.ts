import { dataRow } from './backend-messages.js';
import { readDataRow } from './backend-decoders.js';
import { BackendCode } from './message-codes.js';
import { MessageWriter } from './message-writer.js';

// The DataRow layout written out field by field with the general message builder.
function dataRowByWriter(cells: readonly (Buffer | null)[]): Buffer {
  const writer = new MessageWriter().int16(cells.length);
  for (const cell of cells) {
    if (cell === null) writer.int32(-1);
    else writer.int32(cell.length).bytes(cell);
  }
  return writer.build(BackendCode.dataRow);
}

describe('dataRow', () => {
  const rows: (Buffer | null)[][] = [
    [],
    [null],
    [Buffer.alloc(0)],
    [Buffer.from('42'), null, Buffer.from('***@example.com'), Buffer.alloc(0)],
    [Buffer.alloc(70_000, 0x61), Buffer.from([0, 255, 1])],
  ];

  it.each(rows.map((cells, i) => ({ i, cells })))(
    'writes row $i as the protocol says',
    ({ cells }) => {
      const row = dataRow(cells);
      expect(row).toEqual(dataRowByWriter(cells));
      expect(row.readInt32BE(1)).toBe(row.length - 1);
      expect(readDataRow(row.subarray(5))).toEqual(cells);
    },
  );
});
