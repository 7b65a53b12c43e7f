import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { TallyCounter } from './tally-counter.js';

/** How a session ended up: admitted and relayed, refused (identity, policy), or failed inside. */
export type SessionOutcome = 'admitted' | 'refused' | 'failed';
/** What the gate did with one statement. */
export type StatementDecision = 'allowed' | 'refused' | 'held';
/** How a held operation was resolved. */
export type ApprovalOutcome = 'approved' | 'denied' | 'timed_out' | 'failed';
/** Which way relayed bytes flowed. */
export type RelayDirection = 'client_to_server' | 'server_to_client';

/**
 * The gate's metrics. Every series carries the data source. relayedBytes and statementsTotal
 * are counted per message: bind their labels once (`metric.labels(...)`) and keep the child,
 * whose inc() then costs an addition (see TallyCounter).
 */
export interface GateMetrics {
  registry: Registry;
  /** Sessions currently open. Labels: data_source. */
  sessionsActive: Gauge<'data_source'>;
  /** Sessions by outcome, counted once each. Labels: data_source, outcome (SessionOutcome). */
  sessionsTotal: Counter<'data_source' | 'outcome'>;
  /** Lifetime of admitted sessions, observed at their end. Labels: data_source. */
  sessionDuration: Histogram<'data_source'>;
  /** Time to mint a role: CREATE ROLE through the minter pool. Labels: data_source. */
  mintDuration: Histogram<'data_source'>;
  /** Bytes relayed between client and server. Labels: data_source, direction. */
  relayedBytes: Counter<'data_source' | 'direction'>;
  /** Statements by what the gate decided. Labels: data_source, decision, rule ('' if none). */
  statementsTotal: Counter<'data_source' | 'decision' | 'rule'>;
  /** Result rows in which at least one value was masked. Labels: data_source, rule. */
  rowsMasked: Counter<'data_source' | 'rule'>;
  /** Held operations by how they were resolved. Labels: data_source, outcome. */
  approvalsTotal: Counter<'data_source' | 'outcome'>;
}

/** Options of the metrics registry. */
export interface GateMetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event loop lag). Default true. */
  processMetrics?: boolean;
}

/**
 * A fresh registry holding the gate's metrics. It is not prom-client's global registry, so
 * that several gates in one test process do not collide.
 */
export function createGateMetrics(options: GateMetricsOptions = {}): GateMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  return {
    registry,
    sessionsActive: new Gauge({
      name: 'portcullis_sessions_active',
      help: 'Sessions currently open through the gate.',
      labelNames: ['data_source'],
      registers,
    }),
    sessionsTotal: new Counter({
      name: 'portcullis_sessions_total',
      help: 'Sessions by outcome: admitted, refused or failed.',
      labelNames: ['data_source', 'outcome'],
      registers,
    }),
    sessionDuration: new Histogram({
      name: 'portcullis_session_duration_seconds',
      help: 'Lifetime of admitted sessions.',
      labelNames: ['data_source'],
      buckets: [0.1, 1, 5, 30, 60, 300, 900, 1800, 3600, 7200],
      registers,
    }),
    mintDuration: new Histogram({
      name: 'portcullis_mint_duration_seconds',
      help: 'Time to mint the role of a session.',
      labelNames: ['data_source'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    relayedBytes: new TallyCounter({
      name: 'portcullis_relayed_bytes_total',
      help: 'Bytes relayed between clients and the server.',
      labelNames: ['data_source', 'direction'],
      registers,
    }),
    statementsTotal: new TallyCounter({
      name: 'portcullis_statements_total',
      help: 'Statements by decision: allowed, refused or held for approval.',
      labelNames: ['data_source', 'decision', 'rule'],
      registers,
    }),
    rowsMasked: new TallyCounter({
      name: 'portcullis_rows_masked_total',
      help: 'Result rows with at least one masked value, by masking rule.',
      labelNames: ['data_source', 'rule'],
      registers,
    }),
    approvalsTotal: new Counter({
      name: 'portcullis_approvals_total',
      help: 'Operations held for approval, by outcome.',
      labelNames: ['data_source', 'outcome'],
      registers,
    }),
  };
}
