/**
 * One line of a recording. Every event carries its time (ISO 8601) and the session id; the
 * other fields depend on the type. Values in it are masked or scrubbed before they get here.
 */
export interface RecordEvent {
  ts: string;
  session: string;
  type: RecordEventType;
  [field: string]: unknown;
}

/** The kinds of events a recording holds, in the order a session usually produces them. */
export const RECORD_EVENT_TYPES = [
  'session_start',
  'identity',
  'decision',
  'statement',
  'parameters',
  'approval',
  'rows',
  'result',
  'masked',
  'limit',
  'error',
  'session_end',
] as const;

export type RecordEventType = (typeof RECORD_EVENT_TYPES)[number];

/**
 * Every line the writer emits starts with this field set to true. The gate's log lines can
 * share an output with the recording (a pod's log holds the container's stdout and stderr),
 * and replay keeps only the lines that carry it.
 */
export const RECORDING_MARKER = 'recording';
