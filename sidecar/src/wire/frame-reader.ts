import { protocolViolation } from './protocol-violation.js';

/** One whole message as it came off the wire. */
export interface Frame {
  /** Type byte; undefined for the untyped packets of the startup phase. */
  readonly code: number | undefined;
  /** The body after the length word. */
  readonly body: Buffer;
  /** The whole message, header included, for relaying it unchanged. */
  readonly bytes: Buffer;
}

/**
 * A message inside a received chunk: `chunk[start, end)` is the whole message, its body from
 * bodyStart. The views body and bytes are made when first asked for, so that a message read
 * by offsets (a masked row) or relayed whole costs one view or none instead of two.
 */
export class ChunkFrame implements Frame {
  private bodyView: Buffer | undefined;
  private bytesView: Buffer | undefined;

  constructor(
    readonly code: number | undefined,
    readonly chunk: Buffer,
    readonly start: number,
    readonly bodyStart: number,
    readonly end: number,
  ) {}

  get body(): Buffer {
    return (this.bodyView ??= this.chunk.subarray(this.bodyStart, this.end));
  }

  get bytes(): Buffer {
    return (this.bytesView ??= this.chunk.subarray(this.start, this.end));
  }
}

/** Limits of a FrameReader. */
export interface FrameReaderOptions {
  /** Largest body a typed message may have; a longer one is a protocol violation. */
  maxMessageSize: number;
  /** Start in the untyped startup phase (the frontend side of a new connection). */
  startup?: boolean;
}

// PostgreSQL refuses startup packets longer than this (MAX_STARTUP_PACKET_LENGTH).
const MAX_STARTUP_PACKET = 10_000;

/**
 * Splits a byte stream into protocol messages. Whole messages are handed out as views of the
 * received chunks (no copy) unless a message spans chunks. Call push() with each chunk and
 * next() until it returns undefined; switch to typed messages with typed() once the startup
 * packet is read.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private offset = 0; // read position in chunks[0]
  private available = 0;
  private startup: boolean;

  constructor(private readonly options: FrameReaderOptions) {
    this.startup = options.startup ?? false;
  }

  /** Bytes received but not yet handed out as a message. */
  get buffered(): number {
    return this.available;
  }

  /** From now on every message starts with a type byte. */
  typed(): void {
    this.startup = false;
  }

  /** Appends a received chunk. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  /** The next whole message, or undefined until more bytes arrive. Throws GateError 08P01. */
  next(): ChunkFrame | undefined {
    const headerSize = this.startup ? 4 : 5;
    if (this.available < headerSize) return undefined;

    const head = this.gather(headerSize);
    const code = this.startup ? undefined : head[this.offset];
    // The length counts itself but not the type byte.
    const length = head.readInt32BE(this.offset + headerSize - 4);
    this.check(length);

    const total = length + headerSize - 4;
    if (this.available < total) return undefined;
    const first = this.gather(total);
    const start = this.offset;
    this.consume(total);
    return new ChunkFrame(code, first, start, start + headerSize, start + total);
  }

  private check(length: number): void {
    if (this.startup) {
      if (length < 8 || length > MAX_STARTUP_PACKET) {
        throw protocolViolation(`invalid startup packet length ${length}`);
      }
      return;
    }
    if (length < 4) throw protocolViolation(`invalid message length ${length}`);
    if (length - 4 > this.options.maxMessageSize) {
      throw protocolViolation(
        `message of ${length - 4} bytes exceeds the gate's limit of ${this.options.maxMessageSize}`,
      );
    }
  }

  /** Makes sure chunks[0] holds at least n unread bytes, joining chunks when needed. */
  private gather(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length - this.offset >= n) return first;

    const joined = Buffer.concat(
      [first.subarray(this.offset), ...this.chunks.slice(1)],
      this.available,
    );
    this.chunks = [joined];
    this.offset = 0;
    return joined;
  }

  private consume(n: number): void {
    this.offset += n;
    this.available -= n;
    const first = this.chunks[0];
    if (first !== undefined && this.offset === first.length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}
