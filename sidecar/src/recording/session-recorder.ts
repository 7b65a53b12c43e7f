import type { RecordEvent, RecordEventType } from './record-event.js';
import type { RecordSink } from './record-writer.js';
import { scrubStatement, scrubValues } from './value-scrubber.js';

/** What a session's recorder needs to know once. */
export interface SessionRecorderOptions {
  sink: RecordSink;
  session: string;
  /** Keep result rows (already masked) in the recording. */
  includeRows: boolean;
  /** Tables (schema.table) with classified columns: their literals and parameters are redacted. */
  classifiedTables: ReadonlySet<string>;
}

/** One Bind parameter: text, binary (length only) or NULL. */
export type ParameterValue = { format: 0 | 1; value: Buffer } | null;

/**
 * Writes one session's events. Statement texts and parameters are scrubbed here, so callers
 * hand over what they have; result rows must be masked already (they are what the client got).
 */
export class SessionRecorder {
  constructor(private readonly options: SessionRecorderOptions) {}

  get includeRows(): boolean {
    return this.options.includeRows;
  }

  /** Does any of these tables hold classified columns? */
  touchesClassified(tables: readonly string[]): boolean {
    return tables.some((table) => this.options.classifiedTables.has(table));
  }

  statement(fields: {
    protocol: 'simple' | 'parse' | 'execute' | 'function_call';
    text: string;
    tables: readonly string[];
    name?: string;
    decision: string;
    rule?: string;
    classes?: readonly string[];
  }): void {
    const { text, tables, ...rest } = fields;
    this.emit('statement', {
      ...rest,
      text: scrubStatement(text, this.touchesClassified(tables)),
      tables,
    });
  }

  /** Bind values: scrubbed by the detectors, and all redacted for classified tables. */
  parameters(portal: string, values: readonly ParameterValue[], tables: readonly string[]): void {
    const redactAll = this.touchesClassified(tables);
    const shown = values.map((param) => {
      if (param === null) return null;
      if (param.format === 1) return `[binary ${param.value.length} bytes]`;
      if (redactAll) return '[redacted]';
      return scrubValues(param.value.toString('utf8'));
    });
    this.emit('parameters', { portal, values: shown });
  }

  /** Result rows as the client received them (text cells as text, binary as a length). */
  rows(rows: readonly (Buffer | null)[][], formats: readonly number[]): void {
    if (!this.options.includeRows || rows.length === 0) return;
    const shown = rows.map((cells) =>
      cells.map((cell, i) => {
        if (cell === null) return null;
        return formats[i] === 1 ? `[binary ${cell.length} bytes]` : cell.toString('utf8');
      }),
    );
    this.emit('rows', { rows: shown });
  }

  /** Anything else: fields must hold no unmasked value. */
  emit(type: RecordEventType, fields: Record<string, unknown> = {}): void {
    const event: RecordEvent = {
      ts: timestamp(),
      session: this.options.session,
      type,
      ...fields,
    };
    this.options.sink.write(event);
  }
}

// Formatting a date costs more than the rest of an event; many events share a millisecond.
let stampedAt = Number.NaN;
let stamp = '';

/** The current time as an ISO 8601 string, formatted once per millisecond. */
function timestamp(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = new Date(now).toISOString();
  }
  return stamp;
}
