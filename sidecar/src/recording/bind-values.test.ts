import { MessageWriter } from '../wire/message-writer.js';
import { readBindValues } from './bind-values.js';

function bind(formats: number[], values: (string | null)[]): Buffer {
  const writer = new MessageWriter().cstring('p').cstring('s').int16(formats.length);
  for (const format of formats) writer.int16(format);
  writer.int16(values.length);
  for (const value of values) {
    if (value === null) writer.int32(-1);
    else writer.int32(Buffer.byteLength(value)).bytes(Buffer.from(value));
  }
  return writer.int16(0).build().subarray(4);
}

describe('readBindValues', () => {
  it('reads text values and NULLs when no format codes are sent', () => {
    expect(readBindValues(bind([], ['a', null]))).toEqual([
      { format: 0, value: Buffer.from('a') },
      null,
    ]);
  });

  it('applies one format code to all values, or one per value', () => {
    expect(readBindValues(bind([1], ['ab', 'c'])).map((v) => v?.format)).toEqual([1, 1]);
    expect(readBindValues(bind([0, 1], ['ab', 'c'])).map((v) => v?.format)).toEqual([0, 1]);
  });
});
