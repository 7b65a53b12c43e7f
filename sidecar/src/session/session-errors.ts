import { GateError, SqlState } from '../errors/gate-error.js';

/** FATAL 57P01 telling the client why the gate ended its session. */
export function sessionEnded(message: string, hint?: string): GateError {
  return new GateError({ sqlstate: SqlState.adminShutdown, severity: 'FATAL', message, hint });
}

/** The same error with FATAL severity, for failures during startup (they end the session). */
export function asFatal(error: GateError): GateError {
  if (error.severity !== 'ERROR') return error;
  return new GateError({
    sqlstate: error.sqlstate,
    severity: 'FATAL',
    message: error.message,
    detail: error.detail,
    hint: error.hint,
    position: error.position,
    cause: error.cause,
  });
}

/**
 * The ERROR for a refused statement: the verdict's SQLSTATE (42501 by default) and message,
 * and the policy and rule in the detail. A message that does not name the policy yet gets it
 * appended, so the client always learns which policy and rule decided. A verdict asServer is
 * answered as PostgreSQL would: its SQLSTATE and message only.
 */
export function statementRefused(
  policy: string,
  verdict: {
    rule: string;
    message: string;
    sqlstate?: string;
    position?: number;
    asServer?: boolean;
  },
): GateError {
  if (verdict.asServer) {
    const sqlstate = verdict.sqlstate ?? SqlState.insufficientPrivilege;
    return new GateError({ sqlstate, message: verdict.message, position: verdict.position });
  }
  const named = verdict.message.includes(policy);
  return new GateError({
    sqlstate: verdict.sqlstate ?? SqlState.insufficientPrivilege,
    message: named
      ? verdict.message
      : `${verdict.message} (policy ${policy}, rule ${verdict.rule})`,
    detail: `policy ${policy}, rule ${verdict.rule}`,
    position: verdict.position,
  });
}
