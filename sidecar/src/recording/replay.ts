import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { RECORDING_MARKER, type RecordEvent } from './record-event.js';

/** Options of `portcullis replay`. */
export interface ReplayOptions {
  /** Only this session's events. */
  session?: string;
}

/**
 * Reads a recording (a file name, or a stream such as stdin) and yields one readable line per
 * event, in the order they were written, each prefixed with its time and a short session id.
 * The input may be a pod's log, where the gate's JSON log lines sit between the events: those
 * are skipped and counted in a last line. Lines that are not JSON are reported, not skipped
 * silently.
 */
export async function* replayLines(source: string | Readable, options: ReplayOptions = {}) {
  const input = typeof source === 'string' ? createReadStream(source, 'utf8') : source;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let number = 0;
  let skipped = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      yield `line ${number}: not a recording event`;
      continue;
    }
    const event = recordingEvent(value);
    if (event === undefined) {
      skipped++;
      continue;
    }
    if (options.session !== undefined && !event.session.startsWith(options.session)) continue;
    yield formatEvent(event);
  }
  if (skipped > 0)
    yield `(${skipped} JSON lines that are not recording events, such as logs, skipped)`;
}

/**
 * The event a parsed line holds, or undefined for another JSON line (a log line). Recordings
 * written before the marker existed carry no `recording` field: an object with a string `ts`,
 * `session` and `type` and no pino `level` is taken as an event too.
 */
export function recordingEvent(value: unknown): RecordEvent | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields = value as Record<string, unknown>;
  const shaped = ['ts', 'session', 'type'].every((key) => typeof fields[key] === 'string');
  if (!shaped) return undefined;
  if (fields[RECORDING_MARKER] === true || !('level' in fields)) {
    const event = { ...fields };
    delete event[RECORDING_MARKER];
    return event as RecordEvent;
  }
  return undefined;
}

/** One event as a line of the timeline. */
export function formatEvent(event: RecordEvent): string {
  const time = event.ts.replace('T', ' ').replace('Z', '');
  const session = event.session === '' ? '--------' : event.session.slice(0, 8);
  return `${time}  ${session}  ${describe(event)}`;
}

function describe(e: RecordEvent): string {
  const f = e as Record<string, unknown>;
  const text = (value: unknown): string =>
    typeof value === 'string' ? value : JSON.stringify(value);
  switch (e.type) {
    case 'session_start':
      return `session started on ${text(f.dataSource)}`;
    case 'identity':
      return `identity ${text(f.name)} (${text(f.kind)}${f.issuer ? `, issuer ${text(f.issuer)}` : ''})`;
    case 'decision':
      return `admitted by policy ${text(f.policy)} as ${text(f.grantRole)}`;
    case 'statement': {
      const rule = f.rule ? ` by ${text(f.rule)}` : '';
      const name = f.name ? ` "${text(f.name)}"` : '';
      return `${text(f.decision)}${rule} ${text(f.protocol)}${name}: ${text(f.text)}`;
    }
    case 'parameters':
      return `  parameters ${text(f.values)}`;
    case 'approval':
      return (
        `approval ${text(f.state)}${f.request ? ` ${text(f.request)}` : ''}` +
        `${f.decidedBy ? ` by ${text(f.decidedBy)}` : ''}${f.reason ? `: ${text(f.reason)}` : ''}`
      );
    case 'rows':
      if (f.omitted) return `rows not recorded: ${text(f.omitted)}`;
      return (f.rows as unknown[]).map((row) => `  | ${text(row)}`).join('\n');
    case 'result': {
      const masked = Object.entries((f.masked ?? {}) as Record<string, number>)
        .map(([rule, count]) => `${rule}: ${count}`)
        .join(', ');
      return (
        `  -> ${text(f.tag ?? 'done')}, ${text(f.rows)} rows` + (masked ? `, masked ${masked}` : '')
      );
    }
    case 'limit':
      return `limit ${text(f.rule)} reached (${text(f.limit)} rows per minute)`;
    case 'error':
      return `  error ${text(f.sqlstate)}: ${text(f.message)}`;
    case 'session_end':
      return `session ended: ${text(f.reason)}`;
    default:
      return `${text(e.type)} ${JSON.stringify({ ...e, ts: undefined, session: undefined, type: undefined })}`;
  }
}
