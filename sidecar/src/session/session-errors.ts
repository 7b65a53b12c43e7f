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
    cause: error.cause,
  });
}

/** ERROR 42501 for a statement the policy refuses, naming policy and rule. */
export function statementRefused(policy: string, rule: string, message: string): GateError {
  return new GateError({
    sqlstate: SqlState.insufficientPrivilege,
    message: `${message} (policy ${policy}, rule ${rule})`,
  });
}
