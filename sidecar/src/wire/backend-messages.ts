import type { GateError } from '../errors/gate-error.js';
import { AuthCode, BackendCode, ErrorField } from './message-codes.js';
import { MessageWriter } from './message-writer.js';

/**
 * Backend messages the gate writes itself. Everything else the client receives is relayed
 * from the upstream server unchanged.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** ErrorResponse ('E') for a GateError: the only error content a client ever sees. */
export function errorResponse(error: GateError): Buffer {
  return fieldsMessage(BackendCode.errorResponse, error.severity, error);
}

/** NoticeResponse ('N') with severity (NOTICE, WARNING, ...) and the fields of a GateError. */
export function noticeResponse(
  severity: string,
  fields: Pick<GateError, 'sqlstate' | 'message' | 'detail' | 'hint'>,
): Buffer {
  return fieldsMessage(BackendCode.noticeResponse, severity, fields);
}

function fieldsMessage(
  code: number,
  severity: string,
  fields: Pick<GateError, 'sqlstate' | 'message' | 'detail' | 'hint'> & { position?: number },
): Buffer {
  const writer = new MessageWriter()
    .byte(ErrorField.severity)
    .cstring(severity)
    .byte(ErrorField.severityRaw)
    .cstring(severity)
    .byte(ErrorField.code)
    .cstring(fields.sqlstate)
    .byte(ErrorField.message)
    .cstring(fields.message);
  if (fields.detail) writer.byte(ErrorField.detail).cstring(fields.detail);
  if (fields.hint) writer.byte(ErrorField.hint).cstring(fields.hint);
  if (fields.position !== undefined) {
    writer.byte(ErrorField.position).cstring(String(fields.position));
  }
  return writer.byte(0).build(code);
}

/** AuthenticationOk: the client is in. */
export function authenticationOk(): Buffer {
  return new MessageWriter().int32(AuthCode.ok).build(BackendCode.authentication);
}

/** AuthenticationCleartextPassword: ask the client for its password (the token, here). */
export function authenticationCleartextPassword(): Buffer {
  return new MessageWriter().int32(AuthCode.cleartextPassword).build(BackendCode.authentication);
}

/** ParameterStatus ('S'): a run-time parameter the client should know. */
export function parameterStatus(name: string, value: string): Buffer {
  return new MessageWriter().cstring(name).cstring(value).build(BackendCode.parameterStatus);
}

/** BackendKeyData ('K'): the process id and secret key a CancelRequest must present. */
export function backendKeyData(processId: number, secretKey: number): Buffer {
  return new MessageWriter().int32(processId).int32(secretKey).build(BackendCode.backendKeyData);
}

/** ReadyForQuery ('Z') with the transaction status byte (I, T or E). */
export function readyForQuery(status: number): Buffer {
  return new MessageWriter().byte(status).build(BackendCode.readyForQuery);
}

/**
 * DataRow ('D'): cells in column order, null for SQL NULL (length -1). Written into one buffer
 * sized up front: every masked row of a result is built here.
 */
export function dataRow(cells: readonly (Buffer | null)[]): Buffer {
  let length = 4 + 2;
  for (const cell of cells) length += 4 + (cell === null ? 0 : cell.length);
  const out = Buffer.allocUnsafe(1 + length);
  out[0] = BackendCode.dataRow;
  out.writeInt32BE(length, 1);
  out.writeInt16BE(cells.length, 5);
  let at = 7;
  for (const cell of cells) {
    if (cell === null) {
      at = out.writeInt32BE(-1, at);
    } else {
      at = out.writeInt32BE(cell.length, at);
      at += cell.copy(out, at);
    }
  }
  return out;
}
