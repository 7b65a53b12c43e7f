/**
 * The one error type a client may see. It carries what an ErrorResponse needs; every other
 * error stays in the log and reaches the client only as a generic internal error.
 * https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
export type Severity = 'ERROR' | 'FATAL' | 'PANIC';

export interface GateErrorFields {
  sqlstate: string;
  message: string;
  severity?: Severity;
  detail?: string;
  hint?: string;
  /** Where in the query string the error was found: 1-based, in characters (field P). */
  position?: number;
  cause?: unknown;
}

export class GateError extends Error {
  readonly sqlstate: string;
  readonly severity: Severity;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly position: number | undefined;

  constructor(fields: GateErrorFields) {
    super(fields.message, { cause: fields.cause });
    this.name = 'GateError';
    this.sqlstate = fields.sqlstate;
    this.severity = fields.severity ?? 'ERROR';
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.position = fields.position;
  }
}

/** SQLSTATE codes the gate answers with (Appendix A of the PostgreSQL docs). */
export const SqlState = {
  insufficientPrivilege: '42501',
  invalidAuthorizationSpecification: '28000',
  invalidPassword: '28P01',
  protocolViolation: '08P01',
  adminShutdown: '57P01',
  queryCanceled: '57014',
  tooManyConnections: '53300',
  programLimitExceeded: '54000',
  featureNotSupported: '0A000',
  syntaxError: '42601',
  internalError: 'XX000',
  connectionFailure: '08006',
  idleSessionTimeout: '57P05',
} as const;

/** What the client sees for a failure the gate must not describe. */
export function internalError(cause: unknown): GateError {
  return new GateError({
    sqlstate: SqlState.internalError,
    message: 'internal error in the Portcullis gate; see the sidecar log',
    cause,
  });
}
