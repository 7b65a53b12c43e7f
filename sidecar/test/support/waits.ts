import type { Socket } from 'node:net';

/** The bytes a socket receives, handed out n at a time in order, and when it closed. */
export function replyBytes(socket: Socket): {
  next(n: number): Promise<Buffer>;
  closed: Promise<void>;
} {
  let received = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    wake?.();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    closed,
    async next(n) {
      const deadline = Date.now() + 10_000;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`${n} bytes did not arrive`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
      const out = received.subarray(0, n);
      received = received.subarray(n);
      return out;
    },
  };
}

/** Polls check every 100 ms until it holds; fails the test when it still does not after timeoutMs. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition still false after ${timeoutMs} ms`);
}
