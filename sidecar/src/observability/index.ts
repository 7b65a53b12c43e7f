export type {
  ApprovalOutcome,
  GateMetrics,
  GateMetricsOptions,
  RelayDirection,
  SessionOutcome,
  StatementDecision,
} from './gate-metrics.js';
export { createGateMetrics } from './gate-metrics.js';
export type { LoggerOptions, LogLevel } from './logger.js';
export { createLogger, LOG_LEVELS, LogLevelError, REDACTED_PATHS } from './logger.js';
export type { ObservabilityServerOptions, Readiness } from './observability-server.js';
export { ObservabilityServer } from './observability-server.js';
