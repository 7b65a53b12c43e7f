import { connect, type Socket } from 'node:net';
import { FrameReader, type Frame } from '../../src/wire/frame-reader.js';
import { MessageWriter } from '../../src/wire/message-writer.js';
import { StartupCode } from '../../src/wire/message-codes.js';

/** A bare protocol client for the tests: sends built messages, reads whole frames. */
export class RawClient {
  private readonly reader = new FrameReader({ maxMessageSize: 1 << 30 });
  private waiter: (() => void) | undefined;
  private closed = false;

  private constructor(readonly socket: Socket) {
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

  static async connect(port: number): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Sends a StartupMessage with user and database. */
  startup(user = 'app', database = 'app'): void {
    this.socket.write(
      new MessageWriter()
        .int32(StartupCode.protocol3)
        .cstring('user')
        .cstring(user)
        .cstring('database')
        .cstring(database)
        .byte(0)
        .build(),
    );
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next frame, or undefined once the connection is closed. */
  async next(timeoutMs = 10_000): Promise<Frame | undefined> {
    for (;;) {
      const frame = this.reader.next();
      if (frame) return frame;
      if (this.closed) return undefined;
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

  /** Reads frames until one with code arrives; returns all read. */
  async until(code: number): Promise<Frame[]> {
    const frames: Frame[] = [];
    for (;;) {
      const frame = await this.next();
      if (!frame) throw new Error(`connection closed before message ${String.fromCharCode(code)}`);
      frames.push(frame);
      if (frame.code === code) return frames;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
