import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { RecordEvent } from './record-event.js';

/** Where events go: something that takes one JSON line at a time. */
export interface RecordSink {
  write(event: RecordEvent): void;
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
 * The one writer of a process's recording: JSON Lines appended to a file or stdout. Sessions
 * write without waiting; while the output is slower than they are, lines wait in the stream's
 * buffer up to a bound, past which events are dropped and counted, and a `recording_gap`
 * line says how many once the output caught up.
 * NOTE: events dropped past the bound are lost; the sessions are not slowed down to wait.
 */
export class RecordWriter implements RecordSink {
  private readonly stream: Writable;
  private readonly ownsStream: boolean;
  private dropped = 0;
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
    this.stream.on('drain', () => this.reportGap());
  }

  write(event: RecordEvent): void {
    if (this.closed) return;
    const limit = this.options.maxBufferedBytes ?? 64 << 20;
    if (this.stream.writableLength > limit) {
      if (this.dropped++ === 0) this.options.logger.error('recording output too slow; dropping');
      return;
    }
    this.stream.write(`${JSON.stringify(event)}\n`);
  }

  /** Writes what is buffered and closes a file (stdout stays open). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.reportGap();
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
    this.stream.write(`${JSON.stringify(line)}\n`);
  }
}
