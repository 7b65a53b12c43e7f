import { ErrorField } from './message-codes.js';
import { MessageReader } from './message-reader.js';
import { protocolViolation } from './protocol-violation.js';

/**
 * Decoders for the backend messages the gate must look into; all others pass through as
 * raw frames. https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** Authentication ('R'): the subtype and whatever data follows it (SASL payloads). */
export function readAuthentication(body: Buffer): { code: number; data: Buffer } {
  const reader = new MessageReader(body);
  return { code: reader.int32(), data: reader.rest() };
}

/** The SASL mechanisms an AuthenticationSASL offers. */
export function readSaslMechanisms(data: Buffer): string[] {
  const reader = new MessageReader(data);
  const mechanisms: string[] = [];
  while (reader.remaining > 0) {
    const name = reader.cstring();
    if (name === '') break;
    mechanisms.push(name);
  }
  return mechanisms;
}

/** Fields of an ErrorResponse or NoticeResponse, by field letter (S, C, M, D, ...). */
export interface ErrorFields {
  severity: string;
  code: string;
  message: string;
  detail: string | undefined;
  hint: string | undefined;
}

export function readErrorFields(body: Buffer): ErrorFields {
  const reader = new MessageReader(body);
  const fields = new Map<number, string>();
  while (reader.remaining > 0) {
    const type = reader.byte();
    if (type === 0) break;
    fields.set(type, reader.cstring());
  }
  return {
    severity: fields.get(ErrorField.severityRaw) ?? fields.get(ErrorField.severity) ?? 'ERROR',
    code: fields.get(ErrorField.code) ?? '',
    message: fields.get(ErrorField.message) ?? '',
    detail: fields.get(ErrorField.detail),
    hint: fields.get(ErrorField.hint),
  };
}

/** ParameterStatus ('S'). */
export function readParameterStatus(body: Buffer): { name: string; value: string } {
  const reader = new MessageReader(body);
  return { name: reader.cstring(), value: reader.cstring() };
}

/** BackendKeyData ('K'). */
export function readBackendKeyData(body: Buffer): { processId: number; secretKey: number } {
  const reader = new MessageReader(body);
  return { processId: reader.int32(), secretKey: reader.int32() };
}

/** One column of a RowDescription ('T'). */
export interface RowColumn {
  name: string;
  tableOid: number;
  attnum: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  format: 0 | 1;
}

export function readRowDescription(body: Buffer): RowColumn[] {
  const reader = new MessageReader(body);
  const count = reader.int16();
  const columns: RowColumn[] = [];
  for (let i = 0; i < count; i++) {
    columns.push({
      name: reader.cstring(),
      tableOid: reader.uint32(),
      attnum: reader.int16(),
      typeOid: reader.uint32(),
      typeSize: reader.int16(),
      typeModifier: reader.int32(),
      format: reader.int16() === 1 ? 1 : 0,
    });
  }
  return columns;
}

/**
 * The cells of a DataRow ('D') as views; null for SQL NULL. Read by hand rather than with a
 * MessageReader: every row of a masked result comes through here. Malformed rows fail as
 * MessageReader would fail on them.
 */
export function readDataRow(body: Buffer): (Buffer | null)[] {
  if (body.length < 2) throw protocolViolation(SHORT);
  const count = body.readInt16BE(0);
  const cells: (Buffer | null)[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    if (at + 4 > body.length) throw protocolViolation(SHORT);
    const length = body.readInt32BE(at);
    at += 4;
    if (length === -1) {
      cells.push(null);
      continue;
    }
    if (length < 0) throw protocolViolation(`negative length ${length} in message`);
    if (at + length > body.length) throw protocolViolation(SHORT);
    cells.push(body.subarray(at, at + length));
    at += length;
  }
  return cells;
}

/**
 * readDataRow without views, over a body that is src[from, to): where each cell starts in src
 * and its length (-1 for NULL), for the first `starts.length` cells. Returns the row's cell
 * count; a row with more cells than room is left unread past its count (the caller refuses
 * it). Malformed rows fail as in readDataRow.
 */
export function readDataRowCells(
  src: Buffer,
  from: number,
  to: number,
  starts: Int32Array,
  lengths: Int32Array,
): number {
  if (to - from < 2) throw protocolViolation(SHORT);
  const count = src.readInt16BE(from);
  if (count > starts.length) return count;
  let at = from + 2;
  for (let i = 0; i < count; i++) {
    if (at + 4 > to) throw protocolViolation(SHORT);
    const length = src.readInt32BE(at);
    at += 4;
    starts[i] = at;
    lengths[i] = length;
    if (length === -1) continue;
    if (length < 0) throw protocolViolation(`negative length ${length} in message`);
    if (at + length > to) throw protocolViolation(SHORT);
    at += length;
  }
  return count;
}

const SHORT = 'message shorter than its fields';

/** The command tag of a CommandComplete ('C'), such as `SELECT 3`. */
export function readCommandComplete(body: Buffer): string {
  return new MessageReader(body).cstring();
}

/** The transaction status byte of a ReadyForQuery ('Z'). */
export function readReadyForQuery(body: Buffer): number {
  return new MessageReader(body).byte();
}
