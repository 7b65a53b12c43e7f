import type { DestinationStream, Level, Logger } from 'pino';
import { pino } from 'pino';

/** Levels the --log-level flag accepts, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = Level | 'silent';

/**
 * Fields that may hold a secret, wherever they sit up to three levels deep. The gate never logs
 * these on purpose; redaction is the net under that rule. `claims` holds a whole token's
 * payload, which may carry personal data.
 */
const SECRET_FIELDS = ['password', 'token', 'authorization', 'secret', 'claims', 'cookie'];
export const REDACTED_PATHS = SECRET_FIELDS.flatMap((field) => [
  field,
  `*.${field}`,
  `*.*.${field}`,
  `headers["${field}"]`,
  `req.headers["${field}"]`,
]);

/** Thrown when a log level is not one of LOG_LEVELS. */
export class LogLevelError extends Error {
  constructor(level: string) {
    super(`unknown log level "${level}"; use one of ${LOG_LEVELS.join(', ')}`);
    this.name = 'LogLevelError';
  }
}

/** Options of the process logger. */
export interface LoggerOptions {
  /** From --log-level; default info. */
  level?: string;
  /** The `name` field on every line, e.g. portcullis-sidecar. */
  name?: string;
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

/** The process logger: JSON lines, ISO timestamps, secrets redacted. Library code takes a child. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!isLogLevel(level)) throw new LogLevelError(level);

  return pino(
    {
      level,
      name: options.name,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

function isLogLevel(level: string): level is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(level);
}
