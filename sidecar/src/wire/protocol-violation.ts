import { GateError, SqlState } from '../errors/gate-error.js';

/** The FATAL 08P01 that ends a session whose peer broke the protocol. */
export function protocolViolation(message: string, cause?: unknown): GateError {
  return new GateError({
    sqlstate: SqlState.protocolViolation,
    severity: 'FATAL',
    message,
    cause,
  });
}
