import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { RECORDING_MARKER, type RecordEvent } from './record-event.js';

/** Where events go: something that takes one JSON line at a time. */
export interface RecordSink {
  write(event: RecordEvent): void;
  /**
   * True while the output is behind; then onDrain is called once it has caught up. Sessions
   * that record rows stop reading from their server meanwhile.
   */
  behind?(onDrain: () => void): boolean;
}

/** Options of the recording writer. */
export interface RecordWriterOptions {
  /** A file to append to; stdout when absent. */
  file?: string;
  logger: Logger;
  /** Bytes held in memory while the output is slow before events are dropped. Default 64 MiB. */
  maxBufferedBytes?: number;
}

/**
 * The one writer of a process's recording: JSON Lines appended to a file or stdout, each
 * marked with `"recording": true` so it stands apart from log lines in a pod's log. Sessions
 * write without waiting, and those that record rows pause their server while the output is
 * behind (see behind()). Lines wait in the stream's buffer up to a bound, past which events
 * are dropped and counted, and a `recording_gap` line says how many once the output caught up.
 * NOTE: events dropped past the bound are lost; only row-recording sessions are slowed down.
 */
export class RecordWriter implements RecordSink {
  private readonly stream: Writable;
  private readonly ownsStream: boolean;
  private dropped = 0;
  /** Lines written since the event loop last turned, handed to the stream as one write. */
  private pending: string[] = [];
  private pendingBytes = 0;
  private flushing: NodeJS.Immediate | undefined;
  /** Sessions paused until the output catches up. */
  private readonly waiting = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly options: RecordWriterOptions,
    stream?: Writable,
  ) {
    if (stream) {
      this.stream = stream;
      this.ownsStream = false;
    } else if (options.file) {
      this.stream = createWriteStream(options.file, { flags: 'a', mode: 0o600 });
      this.ownsStream = true;
    } else {
      this.stream = process.stdout;
      this.ownsStream = false;
    }
    this.stream.on('error', (error) =>
      options.logger.error({ err: error }, 'the recording cannot be written'),
    );
    this.stream.on('drain', () => {
      this.reportGap();
      const waiting = [...this.waiting];
      this.waiting.clear();
      for (const resume of waiting) resume();
    });
  }

  behind(onDrain: () => void): boolean {
    if (this.closed) return false;
    // Lines still held are part of the backlog: hand them over to see the stream's verdict.
    this.flush();
    if (!this.stream.writableNeedDrain) return false;
    this.waiting.add(onDrain);
    return true;
  }

  write(event: RecordEvent): void {
    if (this.closed) return;
    const limit = this.options.maxBufferedBytes ?? 64 << 20;
    if (this.stream.writableLength + this.pendingBytes > limit) {
      if (this.dropped++ === 0) this.options.logger.error('recording output too slow; dropping');
      return;
    }
    this.enqueue(recordingLine(event), limit);
  }

  // A stream write costs more than the line it writes; the lines of one turn of the event loop
  // go out together.
  private enqueue(line: string, limit = PENDING_BYTES): void {
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= Math.min(PENDING_BYTES, limit)) this.flush();
    else this.flushing ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    clearImmediate(this.flushing);
    this.flushing = undefined;
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    this.stream.write(text);
  }

  /** Writes what is buffered and closes a file (stdout stays open). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.reportGap();
    this.flush();
    this.closed = true;
    await new Promise<void>((resolve) => {
      if (this.ownsStream) this.stream.end(resolve);
      else if (this.stream.writableLength === 0) resolve();
      else this.stream.once('drain', resolve);
    });
  }

  private reportGap(): void {
    if (this.dropped === 0) return;
    const dropped = this.dropped;
    this.dropped = 0;
    const line = { ts: new Date().toISOString(), session: '', type: 'recording_gap', dropped };
    this.enqueue(recordingLine(line));
  }
}

/** Lines held for one write at most: past this they go out at once. */
const PENDING_BYTES = 64 << 10;

/** One event as a line of the recording, marked as such ahead of its own fields. */
function recordingLine(event: Record<string, unknown>): string {
  // The marker spliced in ahead of the event's own fields: no copy of the event is made.
  const fields = JSON.stringify(event);
  return fields === '{}' ? `${MARKER_ONLY}\n` : `${MARKER_OPENING}${fields.slice(1)}\n`;
}

const MARKER_ONLY = JSON.stringify({ [RECORDING_MARKER]: true });
const MARKER_OPENING = `${MARKER_ONLY.slice(0, -1)},`;
