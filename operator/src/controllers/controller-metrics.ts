import { Counter, Gauge, type Registry } from 'prom-client';

/** Prometheus metrics of the controllers. */
export class ControllerMetrics {
  readonly reconciles: Counter<'kind' | 'result'>;
  readonly reapedRoles: Counter<'namespace' | 'datasource'>;
  readonly rollouts: Counter<'namespace' | 'kind'>;
  readonly leader: Gauge;

  constructor(registry: Registry) {
    this.reconciles = new Counter({
      name: 'portcullis_operator_reconciles_total',
      help: 'Reconciles by kind and result (ok, error, skipped when not leader).',
      labelNames: ['kind', 'result'],
      registers: [registry],
    });
    this.reapedRoles = new Counter({
      name: 'portcullis_operator_reaped_roles_total',
      help: 'Expired minted roles the operator dropped.',
      labelNames: ['namespace', 'datasource'],
      registers: [registry],
    });
    this.rollouts = new Counter({
      name: 'portcullis_operator_rollouts_total',
      help: 'Workloads rolled so their pods pick up a change the sidecar cannot take live.',
      labelNames: ['namespace', 'kind'],
      registers: [registry],
    });
    this.leader = new Gauge({
      name: 'portcullis_operator_leader',
      help: '1 while this replica holds the leader Lease.',
      registers: [registry],
    });
  }
}
