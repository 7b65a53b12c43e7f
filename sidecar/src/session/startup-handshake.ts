import type { TLSSocket } from 'node:tls';
import { acceptTls, handshakeDone, type ClientTls } from '../client-tls/index.js';
import { GateError, SqlState } from '../errors/gate-error.js';
import type { Authenticator, Identity } from '../identity/identity.js';
import { authenticationCleartextPassword } from '../wire/backend-messages.js';
import { FrameSource } from '../wire/frame-source.js';
import { readPassword, readStartupPacket, type StartupPacket } from '../wire/frontend-messages.js';
import { FrontendCode } from '../wire/message-codes.js';
import { protocolViolation } from '../wire/protocol-violation.js';

/**
 * What the startup phase learned: a session to open, or a cancel to pass on. source reads
 * from the connection as it is now: the TLS socket when the client upgraded.
 */
export type HandshakeResult = { source: FrameSource } & (
  | { kind: 'session'; parameters: Map<string, string>; identity: Identity }
  | { kind: 'cancel'; processId: number; secretKey: number }
);

/** What the startup phase needs from the session. */
export interface HandshakeOptions {
  authenticator: Authenticator;
  dataSource: string;
  /** Bounds each wait for a client message. */
  timeoutMs: number;
  /** TLS for clients that ask for it; without it every SSLRequest is answered 'N'. */
  tls?: ClientTls | undefined;
  /** Called when the upgrade starts, before its handshake: the session talks TLS from then. */
  onUpgrade?: (socket: TLSSocket) => void;
}

// A client may ask for SSL and then GSS encryption (or the reverse) before giving up on both.
const MAX_ENCRYPTION_REQUESTS = 2;

/**
 * Reads the startup packet (upgrading to TLS first when the client asks and TLS is
 * configured), asks for a password only when some policy admits token holders, and
 * authenticates the caller. Throws GateError for every refusal.
 */
export async function startupHandshake(
  plain: FrameSource,
  options: HandshakeOptions,
): Promise<HandshakeResult> {
  const { packet, source } = await readFirstPacket(plain, options);
  if (packet.kind === 'cancel') return { ...packet, source };
  if (packet.kind !== 'startup') throw protocolViolation('unexpected startup packet');
  // A CancelRequest stays allowed in the clear, as PostgreSQL allows it: libpq before
  // version 17 always sends it so, and the key it carries is the only secret in it.
  if (options.tls?.required && source === plain) throw tlsRequired();

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
  const { authenticator, dataSource, timeoutMs } = options;
  if (authenticator.needsPassword(dataSource)) {
    source.socket.write(authenticationCleartextPassword());
    const frame = await source.next(timeoutMs);
    if (frame.code !== FrontendCode.password) {
      throw protocolViolation(`expected a password message, got type ${String(frame.code)}`);
    }
    password = readPassword(frame.body);
  }

  const identity = await authenticator.authenticate({ dataSource, user, password });
  return { kind: 'session', parameters: packet.parameters, identity, source };
}

/**
 * The first packet that is not an encryption request, and the source it came from. GSSENC
 * is always refused: the gate has no GSSAPI. SSL is refused unless TLS is configured.
 *
 * NOTE: PostgreSQL 17's direct TLS (sslnegotiation=direct: a ClientHello with no SSLRequest
 * before it) is not recognised; such a client is refused as a protocol violation.
 */
async function readFirstPacket(
  plain: FrameSource,
  options: HandshakeOptions,
): Promise<{ packet: StartupPacket; source: FrameSource }> {
  let source = plain;
  for (let requests = 0; ; requests++) {
    const frame = await source.next(options.timeoutMs);
    const packet = readStartupPacket(frame.body);
    if (packet.kind !== 'ssl' && packet.kind !== 'gssenc') return { packet, source };
    if (requests >= MAX_ENCRYPTION_REQUESTS)
      throw protocolViolation('too many encryption requests');
    if (source !== plain) throw protocolViolation('encryption requested inside TLS');

    const { tls } = options;
    const context = packet.kind === 'ssl' ? await tls?.certificate.context() : undefined;
    // Checked after the await, right before answering: bytes sent before the answer would be
    // read as if they had come over the encrypted channel (CVE-2021-23214). A correct client
    // waits.
    if (source.reader.buffered > 0) {
      throw protocolViolation('unexpected data after an encryption request');
    }
    if (context === undefined) {
      source.socket.write('N');
      continue;
    }

    const { socket: raw, reader } = source.detach();
    const secure = acceptTls(raw, context);
    options.onUpgrade?.(secure);
    await handshakeDone(secure);
    source = new FrameSource(secure, reader);
  }
}

function tlsRequired(): GateError {
  return new GateError({
    sqlstate: SqlState.invalidAuthorizationSpecification,
    severity: 'FATAL',
    message: 'the Portcullis gate accepts only TLS connections',
    hint: 'connect with sslmode=require (or verify-full)',
  });
}
