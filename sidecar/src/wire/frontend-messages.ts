import { MessageReader } from './message-reader.js';
import { StartupCode } from './message-codes.js';
import { protocolViolation } from './protocol-violation.js';

/** The first packet of a connection, by what it asks for. */
export type StartupPacket =
  | { kind: 'startup'; parameters: Map<string, string> }
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel'; processId: number; secretKey: number };

/**
 * Decodes an untyped startup-phase packet body: StartupMessage, SSLRequest, GSSENCRequest or
 * CancelRequest. https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
export function readStartupPacket(body: Buffer): StartupPacket {
  const reader = new MessageReader(body);
  const code = reader.int32();
  if (code === StartupCode.sslRequest) return { kind: 'ssl' };
  if (code === StartupCode.gssEncRequest) return { kind: 'gssenc' };
  if (code === StartupCode.cancelRequest) {
    return { kind: 'cancel', processId: reader.int32(), secretKey: reader.int32() };
  }
  if (code >> 16 !== 3) {
    throw protocolViolation(`unsupported frontend protocol ${code >> 16}.${code & 0xffff}`);
  }

  // Name/value pairs, each a C string, ended by an empty name.
  const parameters = new Map<string, string>();
  for (;;) {
    const name = reader.cstring();
    if (name === '') break;
    parameters.set(name, reader.cstring());
  }
  return { kind: 'startup', parameters };
}

/** The SQL text of a Query ('Q') message. */
export function readQuery(body: Buffer): string {
  return new MessageReader(body).cstring();
}

/** A Parse ('P') message: statement name (empty for the unnamed one) and SQL text. */
export interface ParseMessage {
  name: string;
  sql: string;
  parameterTypes: number[];
}

export function readParse(body: Buffer): ParseMessage {
  const reader = new MessageReader(body);
  const name = reader.cstring();
  const sql = reader.cstring();
  const count = reader.int16();
  const parameterTypes: number[] = [];
  for (let i = 0; i < count; i++) parameterTypes.push(reader.uint32());
  return { name, sql, parameterTypes };
}

/** The password of a PasswordMessage ('p') answering a cleartext password request. */
export function readPassword(body: Buffer): string {
  return new MessageReader(body).cstring();
}
