/**
 * Message type bytes of the PostgreSQL frontend/backend protocol, version 3.0, with the
 * letter beside each code. https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
export const FrontendCode = {
  bind: 0x42, // B
  close: 0x43, // C
  copyData: 0x64, // d
  copyDone: 0x63, // c
  copyFail: 0x66, // f
  describe: 0x44, // D
  execute: 0x45, // E
  flush: 0x48, // H
  functionCall: 0x46, // F
  parse: 0x50, // P
  /** PasswordMessage, SASLInitialResponse and SASLResponse share 'p'. */
  password: 0x70, // p
  query: 0x51, // Q
  sync: 0x53, // S
  terminate: 0x58, // X
} as const;

export const BackendCode = {
  authentication: 0x52, // R
  backendKeyData: 0x4b, // K
  bindComplete: 0x32, // 2
  closeComplete: 0x33, // 3
  commandComplete: 0x43, // C
  copyData: 0x64, // d
  copyDone: 0x63, // c
  copyInResponse: 0x47, // G
  copyOutResponse: 0x48, // H
  copyBothResponse: 0x57, // W
  dataRow: 0x44, // D
  emptyQueryResponse: 0x49, // I
  errorResponse: 0x45, // E
  functionCallResponse: 0x56, // V
  negotiateProtocolVersion: 0x76, // v
  noData: 0x6e, // n
  noticeResponse: 0x4e, // N
  notificationResponse: 0x41, // A
  parameterDescription: 0x74, // t
  parameterStatus: 0x53, // S
  parseComplete: 0x31, // 1
  portalSuspended: 0x73, // s
  readyForQuery: 0x5a, // Z
  rowDescription: 0x54, // T
} as const;

/** Subtypes of the Authentication ('R') message, its first Int32. */
export const AuthCode = {
  ok: 0,
  cleartextPassword: 3,
  md5Password: 5,
  sasl: 10,
  saslContinue: 11,
  saslFinal: 12,
} as const;

/**
 * Codes in place of a protocol version in the untyped first packet: protocol 3.0 itself, and
 * the magic numbers of SSLRequest, GSSENCRequest and CancelRequest.
 */
export const StartupCode = {
  protocol3: 196608, // 3 << 16
  sslRequest: 80877103, // 1234 << 16 | 5679
  gssEncRequest: 80877104, // 1234 << 16 | 5680
  cancelRequest: 80877102, // 1234 << 16 | 5678
} as const;

/** Transaction status byte of ReadyForQuery. */
export const TransactionStatus = {
  idle: 0x49, // I
  inTransaction: 0x54, // T
  failed: 0x45, // E
} as const;

/** Single-byte field codes of ErrorResponse and NoticeResponse. */
export const ErrorField = {
  severity: 0x53, // S (localized)
  severityRaw: 0x56, // V (never localized)
  code: 0x43, // C
  message: 0x4d, // M
  detail: 0x44, // D
  hint: 0x48, // H
  /** 1-based character position in the original query string where the error was found. */
  position: 0x50, // P
  /** The call stack (PL/pgSQL context, JSON input line) where the error arose. */
  where: 0x57, // W
  /** The text of an internally generated command that failed, such as a PL/pgSQL EXECUTE. */
  internalQuery: 0x71, // q
} as const;
