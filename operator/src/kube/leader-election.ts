import type { Logger } from 'pino';
import { jittered, sleep } from './backoff.js';
import { isConflict, isNotFound, type KubeClient } from './rest-client.js';
import { apiVersionOf, resourcePath, Resources } from './resources.js';

/** The fields of a coordination.k8s.io/v1 Lease that leader election reads and writes. */
export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionOptions {
  client: KubeClient;
  logger: Logger;
  namespace: string;
  name: string;
  identity: string;
  /** How long a holder's claim lasts without renewal (default 15 s). */
  leaseDurationMs?: number;
  /** A leader that has not renewed for this long steps down (default 10 s). */
  renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew (default 2 s, jittered). */
  retryPeriodMs?: number;
}

/** What a candidate remembers of the lease: the record and when it last saw it change. */
export interface ObservedLease {
  holder: string | undefined;
  renewTime: string | undefined;
  leaseDurationMs: number;
  observedAt: number;
}

/**
 * True when this candidate may take the lease: nobody holds it, we do, or the holder has not
 * renewed within its lease duration as measured on our own clock since we saw the record
 * change (so clock skew between replicas does not matter).
 */
export function mayAcquire(
  observed: ObservedLease | undefined,
  identity: string,
  now: number,
): boolean {
  if (observed === undefined) return true;
  if (observed.holder === undefined || observed.holder === '') return true;
  if (observed.holder === identity) return true;
  return now >= observed.observedAt + observed.leaseDurationMs;
}

type LeadershipListener = () => void;

/**
 * NOTE: a reconcile that checked isLeader just before this replica stepped down may still
 * finish its write; stepping down at the renew deadline (before the lease can expire for
 * others) keeps that window short, as in client-go, but does not close it.
 *
 * Leader election on a Lease: acquire when free or expired, renew every retry period, step
 * down when renewal fails past the renew deadline, release on stop so a successor need not
 * wait out the lease. Only the leader writes to the cluster; every replica keeps serving.
 * https://kubernetes.io/docs/concepts/architecture/leases/
 */
export class LeaderElection {
  private readonly options: LeaderElectionOptions;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly becameLeader = new Set<LeadershipListener>();
  private readonly lostLeadership = new Set<LeadershipListener>();
  private observed: ObservedLease | undefined;
  private leading = false;
  private lastRenewal = 0;
  private stopController = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.options = options;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
  }

  /** True while this replica holds the lease. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** The identity of the holder as last seen, if any. */
  get leader(): string | undefined {
    return this.observed?.holder ?? undefined;
  }

  /** Calls listener each time this replica becomes the leader. */
  onBecameLeader(listener: LeadershipListener): void {
    this.becameLeader.add(listener);
  }

  /** Calls listener each time this replica stops being the leader (also on stop). */
  onLostLeadership(listener: LeadershipListener): void {
    this.lostLeadership.add(listener);
  }

  /** Starts campaigning in the background. */
  start(): void {
    if (this.loop !== undefined) return;
    this.stopController = new AbortController();
    this.loop = this.run(this.stopController.signal);
  }

  /** Stops campaigning and, if leading, releases the lease. */
  async stop(): Promise<void> {
    this.stopController.abort();
    await this.loop;
    this.loop = undefined;
    if (!this.leading) return;
    this.setLeading(false);
    await this.release();
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let held = false;
      try {
        held = await this.tryAcquireOrRenew();
      } catch (err) {
        this.options.logger.warn({ err, lease: this.options.name }, 'lease update failed');
      }

      const now = Date.now();
      if (held) {
        this.lastRenewal = now;
        if (!this.leading) this.setLeading(true);
      } else if (this.leading && now - this.lastRenewal >= this.renewDeadlineMs) {
        this.setLeading(false);
      } else if (this.leading && this.observed?.holder !== this.options.identity) {
        // Someone else holds the lease now: we must have missed our own renewals.
        this.setLeading(false);
      }
      await sleep(jittered(this.retryPeriodMs), signal);
    }
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    const { logger, name, identity } = this.options;
    logger.info({ lease: name, identity }, leading ? 'became leader' : 'lost leadership');
    for (const listener of leading ? this.becameLeader : this.lostLeadership) {
      try {
        listener();
      } catch (err) {
        logger.error({ err }, 'leadership listener failed');
      }
    }
  }

  private leasePath(): string {
    return resourcePath(Resources.leases, this.options.namespace, this.options.name);
  }

  private observe(lease: Lease): void {
    const holder = lease.spec?.holderIdentity ?? undefined;
    const renewTime = lease.spec?.renewTime ?? undefined;
    const changed =
      this.observed === undefined ||
      this.observed.holder !== holder ||
      this.observed.renewTime !== renewTime;
    this.observed = {
      holder,
      renewTime,
      leaseDurationMs: (lease.spec?.leaseDurationSeconds ?? 15) * 1000,
      observedAt: changed ? Date.now() : this.observed!.observedAt,
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, identity, namespace, name } = this.options;
    const now = microTime(new Date());
    const durationSeconds = Math.ceil(this.leaseDurationMs / 1000);

    let lease: Lease;
    try {
      lease = await client.request<Lease>(this.leasePath());
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const fresh: Lease = {
        apiVersion: apiVersionOf(Resources.leases),
        kind: 'Lease',
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: 0,
        },
      };
      try {
        this.observe(
          await client.request<Lease>(resourcePath(Resources.leases, namespace), {
            method: 'POST',
            body: fresh,
          }),
        );
        return true;
      } catch (createErr) {
        if (isConflict(createErr)) return false;
        throw createErr;
      }
    }

    this.observe(lease);
    if (!mayAcquire(this.observed, identity, Date.now())) return false;

    const takingOver = lease.spec?.holderIdentity !== identity;
    const updated: Lease = {
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: takingOver ? now : (lease.spec?.acquireTime ?? now),
        renewTime: now,
        leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + (takingOver ? 1 : 0),
      },
    };
    try {
      // PUT carries the resourceVersion we read, so of two candidates racing only one wins.
      this.observe(await client.request<Lease>(this.leasePath(), { method: 'PUT', body: updated }));
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const { client, identity, logger, name } = this.options;
    try {
      const lease = await client.request<Lease>(this.leasePath());
      if (lease.spec?.holderIdentity !== identity) return;
      const released: Lease = {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: null,
          leaseDurationSeconds: 1,
          renewTime: microTime(new Date()),
        },
      };
      await client.request(this.leasePath(), { method: 'PUT', body: released });
      logger.info({ lease: name, identity }, 'released the lease');
    } catch (err) {
      logger.warn({ err, lease: name }, 'could not release the lease; successors wait it out');
    }
  }
}

// Lease times are metav1.MicroTime: RFC 3339 with six fractional digits.
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
