import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RecordEvent } from './record-event.js';

/** Options of `portcullis replay`. */
export interface ReplayOptions {
  /** Only this session's events. */
  session?: string;
}

/**
 * Reads a recording and yields one readable line per event, grouped by nothing: events are
 * in the order they were written, each prefixed with its time and a short session id.
 * Lines that are not JSON are reported, not skipped silently.
 */
export async function* replayLines(file: string, options: ReplayOptions = {}) {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    let event: RecordEvent;
    try {
      event = JSON.parse(line) as RecordEvent;
    } catch {
      yield `line ${number}: not a recording event`;
      continue;
    }
    if (options.session !== undefined && !event.session.startsWith(options.session)) continue;
    yield formatEvent(event);
  }
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
