import { setTimeout as sleep } from 'node:timers/promises';

/** Raised when a condition does not hold before its deadline; says what was last seen. */
export class WaitTimeoutError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WaitTimeoutError';
  }
}

/**
 * Polls check until it returns a value other than undefined, or throws after timeoutMs with
 * the description and the last error or value seen.
 */
export async function waitFor<T>(
  description: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? last.message : 'the condition never held';
      throw new WaitTimeoutError(
        `timed out after ${timeoutMs} ms waiting for ${description}: ${seen}`,
        {
          cause: last,
        },
      );
    }
    await sleep(intervalMs);
  }
}
