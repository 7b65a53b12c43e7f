import { dataRow } from './backend-messages.js';
import { readDataRow } from './backend-decoders.js';
import { BackendCode } from './message-codes.js';
import { MessageReader } from './message-reader.js';
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

// The DataRow reader as MessageReader reads it, field by field.
function readDataRowByReader(body: Buffer): (Buffer | null)[] {
  const reader = new MessageReader(body);
  const count = reader.int16();
  const cells: (Buffer | null)[] = [];
  for (let i = 0; i < count; i++) {
    const length = reader.int32();
    cells.push(length === -1 ? null : reader.bytes(length));
  }
  return cells;
}

function outcome(read: (body: Buffer) => (Buffer | null)[], body: Buffer): unknown {
  try {
    return { cells: read(body) };
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : error };
  }
}

describe('readDataRow', () => {
  const well = dataRow([Buffer.from('7'), null, Buffer.alloc(0), Buffer.from('x@y.z')]).subarray(5);
  const bodies: Buffer[] = [
    well,
    Buffer.alloc(0),
    Buffer.from([0]),
    Buffer.from([0xff, 0xff]), // a negative count reads no cells
    Buffer.from([0, 1, 0, 0]), // cut inside a length
    Buffer.from([0, 1, 0, 0, 0, 9, 1]), // a cell longer than the message
    Buffer.from([0, 1, 0xff, 0xff, 0xff, 0xfe]), // a negative length other than -1
    Buffer.concat([well, Buffer.from([1, 2])]), // bytes after the last cell are left alone
  ];
  for (let cut = 1; cut < well.length; cut++) bodies.push(well.subarray(0, cut));

  it.each(bodies.map((body) => ({ hex: body.toString('hex') || '(empty)', body })))(
    'reads $hex as MessageReader does',
    ({ body }) => {
      expect(outcome(readDataRow, body)).toEqual(outcome(readDataRowByReader, body));
    },
  );
});
