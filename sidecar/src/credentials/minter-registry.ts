import type { DataSource } from '@portcullis/crds';
import type { Logger } from 'pino';
import type { PolicySnapshot } from '../policy/policy-source.js';
import { RoleMinter } from './role-minter.js';
import { upstreamTls } from './upstream-tls.js';

/** Raised when a DataSource's minter Secret is missing or lacks a key. */
export class MinterCredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MinterCredentialError';
  }
}

/** Options of a MinterRegistry. */
export interface MinterRegistryOptions {
  logger: Logger;
  /** How often every minter reaps expired and orphaned roles; 0 disables the timer. */
  reapIntervalMs: number;
}

/**
 * One RoleMinter per DataSource, rebuilt when the DataSource or its Secrets change. A
 * replaced minter stays open until shutdown, since the sessions it minted for still need it
 * to drop their roles.
 */
export class MinterRegistry {
  private readonly current = new Map<string, { key: string; minter: RoleMinter }>();
  private readonly retired: RoleMinter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: MinterRegistryOptions) {}

  /** The minter for dataSource as the snapshot describes it. */
  get(dataSource: DataSource, snapshot: PolicySnapshot): RoleMinter {
    const name = `${dataSource.metadata.namespace ?? 'default'}/${dataSource.metadata.name}`;
    const credential = minterCredential(dataSource, snapshot);
    const tls = upstreamTls(dataSource, snapshot);
    const key = JSON.stringify([dataSource.spec, credential, tls]);

    const existing = this.current.get(name);
    if (existing?.key === key) return existing.minter;
    // NOTE: a replaced minter keeps its pool open until the gate stops, even after its last
    // session ended: frequent changes to a DataSource or its Secret add connections.
    if (existing) this.retired.push(existing.minter);

    const logger = this.options.logger.child({ dataSource: name });
    const minter = new RoleMinter({ dataSource, credential, tls, logger });
    this.current.set(name, { key, minter });
    return minter;
  }

  /**
   * Creates the minters of every DataSource in the snapshot and reaps once (roles left by a
   * killed gate go now, not at the first timer tick), then starts the reap timer.
   */
  async start(snapshot: PolicySnapshot): Promise<void> {
    for (const dataSource of snapshot.dataSources) {
      try {
        this.get(dataSource, snapshot);
      } catch (error) {
        this.options.logger.warn(
          { err: error, dataSource: dataSource.metadata.name },
          'no minter for this DataSource; its sessions will be refused',
        );
      }
    }
    await this.reapAll();
    if (this.options.reapIntervalMs > 0) {
      this.timer = setInterval(() => void this.reapAll(), this.options.reapIntervalMs);
      this.timer.unref();
    }
  }

  /** Reaps with every current minter; failures are logged, never thrown. */
  async reapAll(): Promise<void> {
    await Promise.all(
      [...this.current.values()].map(async ({ minter }) => {
        try {
          const dropped = await minter.reap();
          if (dropped.length > 0) {
            this.options.logger.info(
              { dataSource: minter.dataSource.metadata.name, roles: dropped },
              'reaper dropped minted roles',
            );
          }
        } catch (error) {
          this.options.logger.warn(
            { err: error, dataSource: minter.dataSource.metadata.name },
            'reaper could not list minted roles',
          );
        }
      }),
    );
  }

  /** Stops the timer and closes every minter's connections. */
  async end(): Promise<void> {
    clearInterval(this.timer);
    const minters = [...this.retired, ...[...this.current.values()].map((entry) => entry.minter)];
    this.current.clear();
    this.retired.length = 0;
    await Promise.allSettled(minters.map((minter) => minter.end()));
  }
}

function minterCredential(dataSource: DataSource, snapshot: PolicySnapshot) {
  const ref = dataSource.spec.minter.secretRef;
  const secret = snapshot.secrets.get(ref.name);
  const username = secret?.[ref.usernameKey];
  const password = secret?.[ref.passwordKey];
  if (username === undefined || password === undefined) {
    throw new MinterCredentialError(
      `DataSource ${dataSource.metadata.name}: Secret ${ref.name} must hold keys ` +
        `${ref.usernameKey} and ${ref.passwordKey}`,
    );
  }
  return { username, password };
}
