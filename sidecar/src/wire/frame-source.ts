import type { Socket } from 'node:net';
import type { FrameReader } from './frame-reader.js';
import { type Frame } from './frame-reader.js';

/** Raised when the peer closes, errs or stays silent while a message is awaited. */
export class FrameSourceClosedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FrameSourceClosedError';
  }
}

/**
 * Pull-style reading of whole messages from a socket, for the short request/response phases
 * (upstream login). detach() hands the socket, paused, and the reader with any bytes already
 * received to the push-style relay.
 */
export class FrameSource {
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;
  private readonly onData = (chunk: Buffer): void => {
    this.reader.push(chunk);
    this.waiter?.();
  };
  private readonly onEnd = (error?: Error): void => {
    this.failure ??= new FrameSourceClosedError('connection closed by the peer', {
      cause: error,
    });
    this.waiter?.();
  };

  constructor(
    readonly socket: Socket,
    readonly reader: FrameReader,
  ) {
    socket.on('data', this.onData);
    socket.on('error', this.onEnd);
    socket.on('close', this.onEnd);
    socket.resume();
  }

  /** The next whole message; rejects when the connection ends or timeoutMs passes first. */
  async next(timeoutMs: number): Promise<Frame> {
    for (;;) {
      const frame = this.reader.next();
      if (frame) return frame;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiter = undefined;
          reject(new FrameSourceClosedError(`no message from the peer within ${timeoutMs} ms`));
        }, timeoutMs);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
      });
    }
  }

  /** Stops reading; the socket is left paused with its listeners removed. */
  detach(): { socket: Socket; reader: FrameReader } {
    this.socket.pause();
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onEnd);
    this.socket.off('close', this.onEnd);
    return { socket: this.socket, reader: this.reader };
  }
}
