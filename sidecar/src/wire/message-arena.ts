/**
 * Room for messages the gate writes itself at a high rate (masked rows). Each is carved out of
 * a shared chunk right after the one before, so that a run of them is one contiguous range
 * which OutputBatch sends as one part, with no allocation per message but its view. A chunk is
 * never written twice (its bytes may still wait in a socket's queue) and starts zeroed.
 */
export class MessageArena {
  private chunk = Buffer.alloc(0);
  private used = 0;

  constructor(private readonly chunkBytes = 64 * 1024) {}

  /** A region of `length` bytes no one else holds; the caller writes all of it. */
  take(length: number): Buffer {
    if (this.used + length > this.chunk.length) {
      this.chunk = Buffer.alloc(Math.max(this.chunkBytes, length));
      this.used = 0;
    }
    const region = this.chunk.subarray(this.used, this.used + length);
    this.used += length;
    return region;
  }
}
