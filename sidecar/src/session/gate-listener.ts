import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { SessionControlsFactory } from '../approvals/session-controls.js';
import type { ClientTls } from '../client-tls/index.js';
import type { MinterRegistry } from '../credentials/minter-registry.js';
import type { Authenticator } from '../identity/identity.js';
import type { GateMetrics } from '../observability/gate-metrics.js';
import type { PolicySnapshot } from '../policy/policy-source.js';
import type { CancelRegistry } from './cancel-registry.js';
import { GateSession, type SessionLimits } from './gate-session.js';
import { sessionEnded } from './session-errors.js';
import type { SessionHooks } from './session-hooks.js';

/** What every listener of one gate shares. */
export interface GateContext {
  authenticator: Authenticator;
  policies: () => PolicySnapshot;
  minters: MinterRegistry;
  cancels: CancelRegistry;
  hooks: SessionHooks;
  /** Approvals, row limits and recording per session; none when absent. */
  controls?: SessionControlsFactory;
  logger: Logger;
  limits: SessionLimits;
  metrics?: GateMetrics | undefined;
  /** TLS for clients that ask for it (--client-tls-cert); SSLRequest is refused without it. */
  clientTls?: ClientTls | undefined;
}

/** A loopback listener for one DataSource; each accepted connection becomes a GateSession. */
export class GateListener {
  private readonly server: Server;
  private readonly sessions = new Set<GateSession>();

  constructor(
    readonly dataSource: string,
    private readonly context: GateContext,
  ) {
    this.server = createServer({ noDelay: true, pauseOnConnect: false }, (socket) =>
      this.accept(socket),
    );
  }

  /** Listens on host:port (port 0 picks a free one); resolves with the bound address. */
  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.context.logger.info(
      {
        dataSource: this.dataSource,
        address: `${address.address}:${address.port}`,
      },
      'listening',
    );
    return address;
  }

  /** Sessions currently open on this listener. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Stops accepting, then ends every session with FATAL 57P01 and drops their roles.
   * Resolves when all are gone.
   */
  async close(why = 'the Portcullis gate is shutting down'): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.sessions].map((session) => session.end(sessionEnded(why))));
    await closed;
  }

  /** Re-decides every open session under new policies (see GateSession.recheck). */
  async recheck(snapshot: PolicySnapshot): Promise<void> {
    await Promise.all([...this.sessions].map((session) => session.recheck(snapshot)));
  }

  private accept(socket: Socket): void {
    const session = new GateSession({
      ...this.context,
      client: socket,
      dataSource: this.dataSource,
      logger: this.context.logger.child({ dataSource: this.dataSource }),
    });
    this.sessions.add(session);
    void session.run().finally(() => this.sessions.delete(session));
  }
}
