import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

/** Raised when a client's TLS handshake fails; it ends that connection only. */
export class ClientTlsHandshakeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClientTlsHandshakeError';
  }
}

/**
 * Answers an SSLRequest with 'S' and wraps the connection in server-side TLS. The client
 * starts its handshake on reading the 'S'; the startup packet then comes over TLS.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL
 */
export function acceptTls(raw: Socket, secureContext: SecureContext): TLSSocket {
  raw.write('S');
  return new TLSSocket(raw, { isServer: true, secureContext });
}

/** Resolves once the handshake is done; rejects when it fails or the client leaves first. */
export function handshakeDone(socket: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error): void => {
      socket.off('secure', onSecure);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onSecure = (): void => settle();
    const onError = (error: Error): void =>
      settle(
        new ClientTlsHandshakeError(`TLS handshake failed: ${error.message}`, { cause: error }),
      );
    const onClose = (): void =>
      settle(new ClientTlsHandshakeError('the client left during the TLS handshake'));
    socket.once('secure', onSecure);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}
