import type { Socket } from 'node:net';
import { GateError, SqlState } from '../errors/gate-error.js';
import type { Authenticator, Identity } from '../identity/identity.js';
import { authenticationCleartextPassword } from '../wire/backend-messages.js';
import type { FrameSource } from '../wire/frame-source.js';
import { readPassword, readStartupPacket, type StartupPacket } from '../wire/frontend-messages.js';
import { FrontendCode } from '../wire/message-codes.js';
import { protocolViolation } from '../wire/protocol-violation.js';

/** What the startup phase learned: a session to open, or a cancel to pass on. */
export type HandshakeResult =
  | { kind: 'session'; parameters: Map<string, string>; identity: Identity }
  | { kind: 'cancel'; processId: number; secretKey: number };

// A client may ask for SSL and then GSS encryption (or the reverse) before giving up on both.
const MAX_ENCRYPTION_REQUESTS = 2;

/**
 * Reads the startup packet (answering 'N' to SSLRequest and GSSENCRequest: the hop is on
 * loopback inside the pod), asks for a password only when some policy admits token holders,
 * and authenticates the caller. Throws GateError for every refusal.
 */
export async function startupHandshake(
  client: Socket,
  source: FrameSource,
  authenticator: Authenticator,
  dataSource: string,
  timeoutMs: number,
): Promise<HandshakeResult> {
  const packet = await readFirstPacket(client, source, timeoutMs);
  if (packet.kind === 'cancel') return packet;
  if (packet.kind !== 'startup') throw protocolViolation('unexpected startup packet');

  const user = packet.parameters.get('user');
  if (user === undefined || user === '') {
    throw new GateError({
      sqlstate: SqlState.invalidAuthorizationSpecification,
      severity: 'FATAL',
      message: 'no PostgreSQL user name specified in startup packet',
    });
  }

  source.reader.typed();
  let password: string | undefined;
  if (authenticator.needsPassword(dataSource)) {
    client.write(authenticationCleartextPassword());
    const frame = await source.next(timeoutMs);
    if (frame.code !== FrontendCode.password) {
      throw protocolViolation(`expected a password message, got type ${String(frame.code)}`);
    }
    password = readPassword(frame.body);
  }

  const identity = await authenticator.authenticate({ dataSource, user, password });
  return { kind: 'session', parameters: packet.parameters, identity };
}

async function readFirstPacket(
  client: Socket,
  source: FrameSource,
  timeoutMs: number,
): Promise<StartupPacket> {
  for (let requests = 0; ; requests++) {
    const frame = await source.next(timeoutMs);
    const packet = readStartupPacket(frame.body);
    if (packet.kind !== 'ssl' && packet.kind !== 'gssenc') return packet;
    if (requests >= MAX_ENCRYPTION_REQUESTS)
      throw protocolViolation('too many encryption requests');
    if (source.reader.buffered > 0) {
      // Bytes sent before our answer would be read as if they had come over the encrypted
      // channel (CVE-2021-23214); a correct client waits.
      throw protocolViolation('unexpected data after an encryption request');
    }
    // NOTE: TLS from the client side cannot be configured yet; every request is refused.
    client.write('N');
  }
}
