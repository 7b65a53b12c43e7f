import type { Socket } from 'node:net';

/**
 * Collects the messages for one socket write. Relayed messages are views into the chunk they
 * arrived in; neighbours in the same chunk merge back into one view, so a run of relayed
 * messages costs one write and no copy.
 */
export class OutputBatch {
  private parts: Buffer[] = [];

  /** Appends a message (or a view of several). */
  add(bytes: Buffer): void {
    const last = this.parts.at(-1);
    if (
      last !== undefined &&
      last.buffer === bytes.buffer &&
      last.byteOffset + last.length === bytes.byteOffset
    ) {
      this.parts[this.parts.length - 1] = Buffer.from(
        last.buffer,
        last.byteOffset,
        last.length + bytes.length,
      );
      return;
    }
    this.parts.push(bytes);
  }

  get empty(): boolean {
    return this.parts.length === 0;
  }

  /** Writes everything to socket; returns false when its buffer is full (wait for 'drain'). */
  flushTo(socket: Socket): boolean {
    if (this.parts.length === 0) return true;
    const parts = this.parts;
    this.parts = [];
    if (parts.length === 1) return socket.write(parts[0] as Buffer);

    socket.cork();
    let ok = true;
    for (const part of parts) ok = socket.write(part);
    socket.uncork();
    return ok;
  }
}
