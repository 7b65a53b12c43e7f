import type { Socket } from 'node:net';

/**
 * Collects the messages for one socket write. Relayed messages are views into the chunk they
 * arrived in, and masked rows views into one arena chunk; neighbours in the same memory merge
 * back into one view, so a run of them costs one write and no copy. The merged view is made
 * only when the run ends, not per message.
 */
/** Parts of a batch up to this size in all are copied into one buffer and written once. */
const COALESCE_BYTES = 16 * 1024;

export class OutputBatch {
  private parts: Buffer[] = [];
  /** The run being extended: its first message and the end of the last one. */
  private run: Buffer | undefined;
  private runEnd = 0;
  private runMerged = false;

  /** Appends a message (or a view of several). */
  add(bytes: Buffer): void {
    const run = this.run;
    if (run !== undefined && this.runEnd === bytes.byteOffset && run.buffer === bytes.buffer) {
      this.runEnd += bytes.length;
      this.runMerged = true;
      return;
    }
    this.closeRun();
    this.run = bytes;
    this.runEnd = bytes.byteOffset + bytes.length;
  }

  get empty(): boolean {
    return this.parts.length === 0 && this.run === undefined;
  }

  /** Writes everything to socket; returns false when its buffer is full (wait for 'drain'). */
  flushTo(socket: Socket): boolean {
    this.closeRun();
    if (this.parts.length === 0) return true;
    const parts = this.parts;
    this.parts = [];
    if (parts.length === 1) return socket.write(parts[0] as Buffer);
    // A few small parts (a masked row between relayed messages): copying them into one
    // buffer costs less than a stream write each.
    let total = 0;
    for (const part of parts) total += part.length;
    if (total <= COALESCE_BYTES) return socket.write(Buffer.concat(parts, total));

    socket.cork();
    let ok = true;
    for (const part of parts) ok = socket.write(part);
    socket.uncork();
    return ok;
  }

  private closeRun(): void {
    const run = this.run;
    if (run === undefined) return;
    this.run = undefined;
    if (!this.runMerged) return void this.parts.push(run);
    this.runMerged = false;
    this.parts.push(Buffer.from(run.buffer, run.byteOffset, this.runEnd - run.byteOffset));
  }
}
