import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { serialize } from 'pg-protocol';
import { tlsConnectionOptions, type UpstreamTls } from './upstream-tls.js';

/** Where a DataSource's server listens and how to secure the connection. */
export interface UpstreamTarget {
  host: string;
  port: number;
  tls: UpstreamTls;
}

/** Raised when the gate cannot reach or secure a connection to the upstream server. */
export class UpstreamConnectError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UpstreamConnectError';
  }
}

/**
 * Opens a connection to the server; for modes other than disable, negotiates TLS with an
 * SSLRequest first. https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL
 */
export async function openUpstreamSocket(
  target: UpstreamTarget,
  timeoutMs = 10_000,
): Promise<Socket | TLSSocket> {
  const socket = connectTcp({ host: target.host, port: target.port, noDelay: true });
  socket.setTimeout(timeoutMs);
  try {
    await once(socket, 'connect');
    if (target.tls.mode === 'disable') return ready(socket);

    socket.write(serialize.requestSsl());
    const answer = await readOneByte(socket);
    if (answer !== 0x53) {
      throw new UpstreamConnectError(
        `server at ${target.host}:${target.port} does not accept TLS (tls.mode ${target.tls.mode})`,
      );
    }
    const secure = connectTls({ socket, ...tlsConnectionOptions(target.tls, target.host) });
    await once(secure, 'secureConnect');
    return ready(secure);
  } catch (error) {
    socket.destroy();
    if (error instanceof UpstreamConnectError) throw error;
    throw new UpstreamConnectError(`cannot connect to ${target.host}:${target.port}`, {
      cause: error,
    });
  }
}

function ready<T extends Socket>(socket: T): T {
  socket.setTimeout(0);
  socket.setNoDelay(true);
  return socket;
}

function once(socket: Socket, event: 'connect' | 'secureConnect'): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      socket.off(event, onEvent);
      socket.off('error', onError);
      socket.off('timeout', onTimeout);
      socket.off('close', onClose);
    };
    const onEvent = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onTimeout = (): void => onError(new Error('timed out'));
    const onClose = (): void => onError(new Error('connection closed'));
    socket.on(event, onEvent);
    socket.on('error', onError);
    socket.on('timeout', onTimeout);
    socket.on('close', onClose);
  });
}

/**
 * The single-byte answer to SSLRequest. More bytes after it would be unencrypted data
 * injected before the handshake (CVE-2021-23222), so they end the connection.
 */
function readOneByte(socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('timeout', onTimeout);
    };
    const onData = (chunk: Buffer): void => {
      cleanup();
      socket.pause();
      if (chunk.length !== 1) {
        reject(new UpstreamConnectError('server sent unexpected data after its SSLRequest answer'));
        return;
      }
      resolve(chunk[0] as number);
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => onError(new Error('connection closed'));
    const onTimeout = (): void => onError(new Error('timed out waiting for the SSLRequest answer'));
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('timeout', onTimeout);
  });
}
