import { connect, type NetConnectOpts, type Socket } from 'node:net';
import { FrameReader, type Frame } from '../../src/wire/frame-reader.js';
import { BackendCode, FrontendCode, StartupCode } from '../../src/wire/message-codes.js';
import { MessageWriter } from '../../src/wire/message-writer.js';

/** Where a raw protocol session connects, and as whom (no password: trust, or the gate's). */
export interface WireTarget {
  connect: NetConnectOpts;
  user: string;
  database: string;
}

// Messages a session receives on its own schedule or that name the backend: not compared.
const UNCOMPARED = new Set<number>([BackendCode.parameterStatus, BackendCode.backendKeyData]);

/**
 * A protocol session for byte-exact comparisons: RawClient (raw-client.ts) speaks TCP only,
 * and the direct side of a comparison logs in over PostgreSQL's unix socket with trust.
 * Frames come back as `type:hex-body` strings, so a difference shows the byte it is in.
 */
export class WireSession {
  private readonly reader = new FrameReader({ maxMessageSize: 1 << 30 });
  private waiter: (() => void) | undefined;
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  /** Connects, sends the StartupMessage and waits for the first ReadyForQuery. */
  static async open(target: WireTarget): Promise<WireSession> {
    const socket = connect(target.connect);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const session = new WireSession(socket);
    socket.write(
      new MessageWriter()
        .int32(StartupCode.protocol3)
        .cstring('user')
        .cstring(target.user)
        .cstring('database')
        .cstring(target.database)
        .byte(0)
        .build(),
    );
    await session.until(BackendCode.readyForQuery);
    return session;
  }

  /** Sends messages and returns the frames up to and including the nth frame of type code. */
  async exchange(messages: Buffer[], code: number = BackendCode.readyForQuery, nth = 1) {
    this.socket.write(Buffer.concat(messages));
    const frames: string[] = [];
    for (let seen = 0; seen < nth;) {
      const frame = await this.next();
      if (frame.code === code) seen++;
      if (!UNCOMPARED.has(frame.code ?? 0)) {
        frames.push(`${String.fromCharCode(frame.code ?? 0)}:${frame.body.toString('hex')}`);
      }
    }
    return frames;
  }

  close(): void {
    this.socket.destroy();
  }

  private async until(code: number): Promise<void> {
    while ((await this.next()).code !== code);
  }

  private async next(timeoutMs = 10_000): Promise<Frame> {
    for (;;) {
      const frame = this.reader.next();
      if (frame) return frame;
      if (this.closed) throw new Error('the connection closed');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message in time')), timeoutMs);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
      });
    }
  }
}

/** Frontend messages of the extended query protocol, built as a client would send them. */
export const frontend = {
  parse: (name: string, sql: string, types: number[] = []) => {
    const writer = new MessageWriter().cstring(name).cstring(sql).int16(types.length);
    for (const type of types) writer.int32(type);
    return writer.build(FrontendCode.parse);
  },
  /** Text-format parameters (null for NULL); one result format code for all columns. */
  bind: (portal: string, statement: string, values: (string | null)[], resultFormat: 0 | 1) => {
    const writer = new MessageWriter().cstring(portal).cstring(statement).int16(0);
    writer.int16(values.length);
    for (const value of values) {
      if (value === null) writer.int32(-1);
      else writer.int32(Buffer.byteLength(value)).bytes(Buffer.from(value));
    }
    return writer.int16(1).int16(resultFormat).build(FrontendCode.bind);
  },
  execute: (portal: string, maxRows = 0) =>
    new MessageWriter().cstring(portal).int32(maxRows).build(FrontendCode.execute),
  describe: (kind: 'S' | 'P', name: string) =>
    new MessageWriter().byte(kind.charCodeAt(0)).cstring(name).build(FrontendCode.describe),
  close: (kind: 'S' | 'P', name: string) =>
    new MessageWriter().byte(kind.charCodeAt(0)).cstring(name).build(FrontendCode.close),
  query: (sql: string) => new MessageWriter().cstring(sql).build(FrontendCode.query),
  sync: () => new MessageWriter().build(FrontendCode.sync),
  flush: () => new MessageWriter().build(FrontendCode.flush),
};
