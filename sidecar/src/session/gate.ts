import type { AddressInfo } from 'node:net';
import { assignLocalPorts } from '@portcullis/crds';
import type { Logger } from 'pino';
import type { SessionControlsFactory } from '../approvals/session-controls.js';
import { MinterRegistry } from '../credentials/minter-registry.js';
import type { Identity } from '../identity/identity.js';
import type { GateMetrics } from '../observability/gate-metrics.js';
import { PolicyAuthenticator } from '../identity/policy-authenticator.js';
import type { PolicySnapshot, PolicySource } from '../policy/policy-source.js';
import { CancelRegistry } from './cancel-registry.js';
import { GateListener } from './gate-listener.js';
import type { SessionLimits } from './gate-session.js';
import { policyHooks } from './policy-hooks.js';
import type { SessionHooks } from './session-hooks.js';

/** How to run a gate. */
export interface GateOptions {
  policySource: PolicySource;
  logger: Logger;
  /** Identity of callers who present no token (--identity). */
  workloadIdentity?: Identity;
  /** Listen address; 127.0.0.1 by default. */
  host?: string;
  /** A fixed port for the only DataSource (--listen); 0 picks a free one. */
  port?: number;
  /** First port tried for DataSources without localPort. Default 5432. */
  firstPort?: number;
  /** Statement and masking hooks; the policy-enforcing ones by default. */
  hooks?: SessionHooks;
  /** Approvals, row limits and recording per session (approvals/session-controls.ts). */
  controls?: SessionControlsFactory;
  limits?: Partial<SessionLimits>;
  /** Reaper period. Default 60 s. */
  reapIntervalMs?: number;
  /** Metrics to count sessions, statements and bytes in. */
  metrics?: GateMetrics;
}

/** Raised when the gate cannot start: no DataSource, or ports that cannot be assigned. */
export class GateStartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GateStartError';
  }
}

// 1 GiB is PostgreSQL's own limit for a field; a message this size would not fit in memory
// many times over, so the default allows large rows without letting one client exhaust RAM.
const DEFAULT_LIMITS: SessionLimits = {
  maxMessageSize: 64 << 20,
  startupTimeoutMs: 15_000,
};

/** The running gate: a loopback listener per DataSource, the minters, the reaper. */
export class Gate {
  private constructor(
    private readonly listeners: GateListener[],
    private readonly minters: MinterRegistry,
    private readonly options: GateOptions,
    /** Bound address of each DataSource's listener, by DataSource name. */
    readonly addresses: ReadonlyMap<string, AddressInfo>,
  ) {}

  /** Loads policies, reaps leftover roles, and listens; throws (fail closed) if any step fails. */
  static async start(options: GateOptions): Promise<Gate> {
    const snapshot = await options.policySource.start();
    const { policySource, logger } = options;
    if (snapshot.dataSources.length === 0) {
      throw new GateStartError('the policies name no DataSource: nothing to serve');
    }
    const ports = assignPorts(snapshot, options);

    const minters = new MinterRegistry({
      logger,
      reapIntervalMs: options.reapIntervalMs ?? 60_000,
    });
    await minters.start(snapshot);
    const policies = (): PolicySnapshot => policySource.current();
    const authenticator = new PolicyAuthenticator({
      snapshot: policies,
      logger,
      ...(options.workloadIdentity ? { workloadIdentity: options.workloadIdentity } : {}),
    });
    const context = {
      authenticator,
      policies,
      minters,
      cancels: new CancelRegistry(),
      hooks: options.hooks ?? policyHooks(),
      ...(options.controls ? { controls: options.controls } : {}),
      logger,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
      metrics: options.metrics,
    };

    const listeners: GateListener[] = [];
    const addresses = new Map<string, AddressInfo>();
    try {
      for (const [name, port] of ports) {
        const listener = new GateListener(name, context);
        listeners.push(listener);
        addresses.set(name, await listener.listen(options.host ?? '127.0.0.1', port));
      }
    } catch (error) {
      await Promise.allSettled(listeners.map((listener) => listener.close()));
      await minters.end();
      throw new GateStartError('cannot listen', { cause: error });
    }
    const gate = new Gate(listeners, minters, options, addresses);
    gate.unsubscribe = policySource.onChange((next) => void gate.policiesChanged(next));
    return gate;
  }

  private unsubscribe: (() => void) | undefined;

  /** New policies: sessions they no longer admit end; new DataSources are not served yet. */
  private async policiesChanged(next: PolicySnapshot): Promise<void> {
    // NOTE: a DataSource added after start gets no listener until the gate restarts.
    const served = new Set(this.addresses.keys());
    const added = next.dataSources.filter((ds) => !served.has(ds.metadata.name));
    if (added.length > 0) {
      this.options.logger.warn(
        { dataSources: added.map((ds) => ds.metadata.name) },
        'new DataSources are served after a restart',
      );
    }
    try {
      await Promise.all(this.listeners.map((listener) => listener.recheck(next)));
    } catch (error) {
      this.options.logger.error(
        { err: error },
        'could not re-check sessions after a policy change',
      );
    }
  }

  /** Sessions open across all listeners. */
  get sessionCount(): number {
    return this.listeners.reduce((sum, listener) => sum + listener.sessionCount, 0);
  }

  /** Ends every session (FATAL 57P01), drops their roles, closes the minters. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await Promise.all(this.listeners.map((listener) => listener.close()));
    await this.options.policySource.stop();
    await this.minters.end();
  }
}

/**
 * A port per DataSource by the rule the operator's pod patch uses to tell the app its PGPORT
 * (assignLocalPorts). With a fixed port (--listen) there must be exactly one DataSource.
 */
function assignPorts(snapshot: PolicySnapshot, options: GateOptions): Map<string, number> {
  const names = snapshot.dataSources.map((ds) => ds.metadata.name);
  if (options.port !== undefined) {
    if (names.length !== 1) {
      throw new GateStartError(
        `--listen serves one DataSource, but the policies name ${names.length}`,
      );
    }
    return new Map([[names[0] as string, options.port]]);
  }

  const assigned = assignLocalPorts(snapshot.dataSources, options.firstPort);
  if ('problem' in assigned) throw new GateStartError(assigned.problem);
  return assigned.ports;
}
