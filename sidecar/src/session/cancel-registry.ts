import { randomInt, timingSafeEqual } from 'node:crypto';

/** Something a CancelRequest can reach. */
export interface Cancellable {
  cancel(): Promise<void>;
}

interface Entry {
  secret: Buffer;
  target: Cancellable;
}

/**
 * The gate's own BackendKeyData for every live session. Clients only ever see these keys;
 * the session translates a cancel into the upstream backend's real key.
 */
export class CancelRegistry {
  private readonly entries = new Map<number, Entry>();

  /** Allocates a fresh process id and secret for target; returns them and the release function. */
  register(target: Cancellable): { processId: number; secretKey: number; release: () => void } {
    let processId: number;
    do processId = randomInt(1, 2 ** 31 - 1);
    while (this.entries.has(processId));
    const secretKey = randomInt(-(2 ** 31), 2 ** 31 - 1);

    const secret = Buffer.alloc(4);
    secret.writeInt32BE(secretKey);
    this.entries.set(processId, { secret, target });
    return { processId, secretKey, release: () => this.entries.delete(processId) };
  }

  /** The session a CancelRequest with this key targets, or undefined for an unknown key. */
  lookup(processId: number, secretKey: number): Cancellable | undefined {
    const entry = this.entries.get(processId);
    if (!entry) return undefined;
    const presented = Buffer.alloc(4);
    presented.writeInt32BE(secretKey);
    return timingSafeEqual(presented, entry.secret) ? entry.target : undefined;
  }
}
