import type { Socket } from 'node:net';
import { serialize } from 'pg-protocol';
import {
  readAuthentication,
  readBackendKeyData,
  readErrorFields,
  readSaslMechanisms,
  type ErrorFields,
} from '../wire/backend-decoders.js';
import { FrameReader } from '../wire/frame-reader.js';
import { AuthCode, BackendCode } from '../wire/message-codes.js';
import { FrameSource } from '../wire/frame-source.js';
import { SCRAM_MECHANISM } from './scram-primitives.js';
import { ScramClient } from './scram-client.js';
import { openUpstreamSocket, type UpstreamTarget } from './upstream-socket.js';

/** Who logs in upstream, where, and with which startup parameters. */
export interface UpstreamLoginOptions {
  target: UpstreamTarget;
  user: string;
  password: string;
  database: string;
  /** Extra startup parameters (application_name, client_encoding, ...). */
  parameters?: Record<string, string>;
  /** Largest message body accepted from the server. */
  maxMessageSize: number;
  timeoutMs?: number;
}

/** A logged-in upstream backend, ready for queries, and what it announced. */
export interface UpstreamConnection {
  socket: Socket;
  /** Holds any bytes received after ReadyForQuery. */
  reader: FrameReader;
  /** The ParameterStatus messages, raw, in the order the server sent them. */
  parameterStatus: Buffer[];
  /** The backend's real key, used to forward cancel requests. */
  processId: number;
  secretKey: number;
}

/** Raised when the upstream login fails; `server` holds the server's error when it sent one. */
export class UpstreamLoginError extends Error {
  constructor(
    message: string,
    readonly server?: ErrorFields,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'UpstreamLoginError';
  }
}

/**
 * Connects and logs in with SCRAM-SHA-256, refusing any weaker method the server might ask
 * for, and reads up to the first ReadyForQuery.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
export async function loginUpstream(options: UpstreamLoginOptions): Promise<UpstreamConnection> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const socket = await openUpstreamSocket(options.target, timeoutMs);
  const source = new FrameSource(
    socket,
    new FrameReader({ maxMessageSize: options.maxMessageSize }),
  );
  try {
    socket.write(
      serialize.startup({
        ...options.parameters,
        user: options.user,
        database: options.database,
      }),
    );
    await authenticate(source, options.password, timeoutMs);
    const announced = await readUntilReady(source, timeoutMs);
    const { reader } = source.detach();
    return { socket, reader, ...announced };
  } catch (error) {
    source.detach();
    socket.destroy();
    throw error instanceof UpstreamLoginError
      ? error
      : new UpstreamLoginError('upstream login failed', undefined, { cause: error });
  }
}

async function authenticate(source: FrameSource, password: string, timeoutMs: number) {
  let scram: ScramClient | undefined;
  for (;;) {
    const frame = await source.next(timeoutMs);
    if (frame.code === BackendCode.errorResponse) throw serverError(frame.body);
    if (frame.code !== BackendCode.authentication) {
      throw new UpstreamLoginError(`unexpected message ${String(frame.code)} during login`);
    }

    const { code, data } = readAuthentication(frame.body);
    switch (code) {
      case AuthCode.ok:
        if (scram === undefined) {
          throw new UpstreamLoginError('server accepted the login without authenticating it');
        }
        return;
      case AuthCode.sasl: {
        if (!readSaslMechanisms(data).includes(SCRAM_MECHANISM)) {
          throw new UpstreamLoginError('server does not offer SCRAM-SHA-256');
        }
        scram = new ScramClient(password);
        const first = scram.clientFirstMessage();
        source.socket.write(serialize.sendSASLInitialResponseMessage(SCRAM_MECHANISM, first));
        break;
      }
      case AuthCode.saslContinue: {
        if (scram === undefined) throw new UpstreamLoginError('SASL continue before SASL start');
        const final = await scram.clientFinalMessage(data.toString('utf8'));
        source.socket.write(serialize.sendSCRAMClientFinalMessage(final));
        break;
      }
      case AuthCode.saslFinal:
        if (scram === undefined) throw new UpstreamLoginError('SASL final before SASL start');
        scram.verifyServerFinal(data.toString('utf8'));
        break;
      default:
        // Cleartext or MD5 would hand the password to whoever answers; only SCRAM proves the
        // server knows it.
        throw new UpstreamLoginError(`server asked for authentication method ${code}, not SCRAM`);
    }
  }
}

async function readUntilReady(source: FrameSource, timeoutMs: number) {
  const parameterStatus: Buffer[] = [];
  let key: { processId: number; secretKey: number } | undefined;
  for (;;) {
    const frame = await source.next(timeoutMs);
    switch (frame.code) {
      case BackendCode.parameterStatus:
        parameterStatus.push(Buffer.from(frame.bytes));
        break;
      case BackendCode.backendKeyData:
        key = readBackendKeyData(frame.body);
        break;
      case BackendCode.noticeResponse:
      case BackendCode.negotiateProtocolVersion:
        break;
      case BackendCode.errorResponse:
        throw serverError(frame.body);
      case BackendCode.readyForQuery:
        if (key === undefined) throw new UpstreamLoginError('server sent no BackendKeyData');
        return { parameterStatus, ...key };
      default:
        throw new UpstreamLoginError(`unexpected message ${String(frame.code)} after login`);
    }
  }
}

function serverError(body: Buffer): UpstreamLoginError {
  const fields = readErrorFields(body);
  return new UpstreamLoginError(
    `server refused the login: ${fields.code} ${fields.message}`,
    fields,
  );
}
