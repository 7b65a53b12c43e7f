import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on host by binding port 0, then releases it.
 * NOTE: another process may take the port between this call and its use; callers that can
 * listen on port 0 themselves should do that instead.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });

  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error(`could not read the port bound on ${host}`);
  }
  return address.port;
}
