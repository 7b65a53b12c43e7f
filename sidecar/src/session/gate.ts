import type { AddressInfo } from 'node:net';
import { assignLocalPorts } from '@portcullis/crds';
import type { Logger } from 'pino';
import type { SessionControlsFactory } from '../approvals/session-controls.js';
import { RotatingCertificate, type CertificateFiles, type ClientTls } from '../client-tls/index.js';
import { MinterRegistry } from '../credentials/minter-registry.js';
import type { Identity } from '../identity/identity.js';
import type { GateMetrics } from '../observability/gate-metrics.js';
import { PolicyAuthenticator } from '../identity/policy-authenticator.js';
import type { PolicySnapshot, PolicySource } from '../policy/policy-source.js';
import { CancelRegistry } from './cancel-registry.js';
import { GateListener, type GateContext } from './gate-listener.js';
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
  /**
   * Serve TLS to clients that send SSLRequest, with this certificate and key (re-read when
   * they change); with required, refuse startups in the clear.
   */
  clientTls?: CertificateFiles & { required?: boolean };
}

/**
 * Raised when the gate cannot start: no DataSource, ports that cannot be assigned, or client
 * TLS files that cannot serve.
 */
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

/**
 * The running gate: a loopback listener per DataSource, the minters, the reaper. Follows the
 * policies: a DataSource added gets a listener, a removed one loses it and its sessions.
 */
export class Gate {
  private readonly listeners = new Map<string, GateListener>();
  private readonly bound = new Map<string, AddressInfo>();
  /** Policy changes are followed one at a time, in the order they came. */
  private changes: Promise<void> = Promise.resolve();
  private stopping = false;

  private constructor(
    private readonly context: GateContext,
    private readonly minters: MinterRegistry,
    private readonly options: GateOptions,
  ) {}

  /** Bound address of each DataSource's listener, by DataSource name. */
  get addresses(): ReadonlyMap<string, AddressInfo> {
    return this.bound;
  }

  /** Loads policies, reaps leftover roles, and listens; throws (fail closed) if any step fails. */
  static async start(options: GateOptions): Promise<Gate> {
    const { policySource, logger } = options;
    const clientTls = await loadClientTls(options);
    const snapshot = await policySource.start();
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
      clientTls,
    };

    const gate = new Gate(context, minters, options);
    try {
      for (const [name, port] of ports) await gate.open(name, port);
    } catch (error) {
      await Promise.allSettled([...gate.listeners.values()].map((listener) => listener.close()));
      await minters.end();
      throw new GateStartError('cannot listen', { cause: error });
    }
    gate.unsubscribe = policySource.onChange((next) => gate.policiesChanged(next));
    return gate;
  }

  private unsubscribe: (() => void) | undefined;

  /** New policies: queued behind the change being followed, if any. */
  private policiesChanged(next: PolicySnapshot): void {
    this.changes = this.changes
      .then(() => this.follow(next))
      .catch((error: unknown) =>
        this.options.logger.error({ err: error }, 'could not follow a policy change'),
      );
  }

  /**
   * Closes the listeners of removed DataSources (their sessions end), opens listeners for
   * added ones, then ends the sessions the new policies no longer admit.
   */
  private async follow(next: PolicySnapshot): Promise<void> {
    if (this.stopping) return;
    await this.closeRemoved(next);
    await this.openAdded(next);
    await Promise.all([...this.listeners.values()].map((listener) => listener.recheck(next)));
  }

  private async closeRemoved(next: PolicySnapshot): Promise<void> {
    const names = new Set(next.dataSources.map((ds) => ds.metadata.name));
    const removed = [...this.listeners].filter(([name]) => !names.has(name));
    await Promise.all(
      removed.map(async ([name, listener]) => {
        this.listeners.delete(name);
        this.bound.delete(name);
        this.options.logger.info({ dataSource: name }, 'DataSource removed; listener closing');
        await listener.close(`session ended by Portcullis: DataSource ${name} was removed`);
      }),
    );
  }

  /**
   * Listens for DataSources the gate does not serve yet, on the port the pod patch's rule
   * gives them in the new snapshot. A DataSource whose port is held by one served since
   * before waits for a restart (the rule may move ports when names are added).
   */
  private async openAdded(next: PolicySnapshot): Promise<void> {
    const added = next.dataSources.filter((ds) => !this.listeners.has(ds.metadata.name));
    if (added.length === 0) return;
    const { logger } = this.options;
    let ports: Map<string, number>;
    try {
      ports = assignPorts(next, this.options);
    } catch (error) {
      const dataSources = added.map((ds) => ds.metadata.name);
      return logger.error({ err: error, dataSources }, 'new DataSources are not served');
    }

    const taken = new Set([...this.bound.values()].map((address) => address.port));
    for (const dataSource of added) {
      const name = dataSource.metadata.name;
      const port = ports.get(name) as number;
      // NOTE: a served DataSource whose localPort changed keeps its old port until restart,
      // and a new one whose port (by the rule) is still held waits for a restart too.
      if (port !== 0 && taken.has(port)) {
        logger.warn({ dataSource: name, port }, 'port in use: DataSource served after a restart');
        continue;
      }
      try {
        // Its minter now, so that the reaper looks after its roles from here on.
        this.minters.get(dataSource, next);
        await this.open(name, port);
      } catch (error) {
        logger.error({ err: error, dataSource: name, port }, 'cannot serve a new DataSource');
      }
    }
  }

  /** Opens the listener of one DataSource. */
  private async open(name: string, port: number): Promise<void> {
    const listener = new GateListener(name, this.context);
    this.listeners.set(name, listener);
    try {
      this.bound.set(name, await listener.listen(this.options.host ?? '127.0.0.1', port));
    } catch (error) {
      this.listeners.delete(name);
      throw error;
    }
  }

  /** Sessions open across all listeners. */
  get sessionCount(): number {
    let sum = 0;
    for (const listener of this.listeners.values()) sum += listener.sessionCount;
    return sum;
  }

  /** Ends every session (FATAL 57P01), drops their roles, closes the minters. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    await this.changes;
    await Promise.all([...this.listeners.values()].map((listener) => listener.close()));
    await this.options.policySource.stop();
    await this.minters.end();
  }
}

/** The client-side certificate, read before anything else starts; unusable files stop the gate. */
async function loadClientTls(options: GateOptions): Promise<ClientTls | undefined> {
  const { clientTls, logger } = options;
  if (clientTls === undefined) return undefined;
  try {
    const certificate = await RotatingCertificate.load(clientTls, logger);
    return { certificate, required: clientTls.required ?? false };
  } catch (error) {
    throw new GateStartError('cannot serve client TLS', { cause: error });
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
