import { MessageReader } from '../wire/message-reader.js';
import type { ParameterValue } from './session-recorder.js';

/**
 * The parameter values of a Bind body: portal, statement, the format codes (none: all text;
 * one: for all; else one per parameter), then each value as a length (-1 for NULL) and bytes.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-BIND
 */
export function readBindValues(body: Buffer): ParameterValue[] {
  const reader = new MessageReader(body);
  reader.cstring();
  reader.cstring();
  const formats: number[] = [];
  for (let n = reader.int16(); n > 0; n--) formats.push(reader.int16());

  const values: ParameterValue[] = [];
  const count = reader.int16();
  for (let i = 0; i < count; i++) {
    const length = reader.int32();
    if (length < 0) {
      values.push(null);
      continue;
    }
    const format = (formats.length === 1 ? formats[0] : formats[i]) === 1 ? 1 : 0;
    values.push({ format, value: reader.bytes(length) });
  }
  return values;
}
