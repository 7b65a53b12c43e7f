import { fileURLToPath } from 'node:url';
import type { PostgresServer } from '@portcullis/testkit';
import { freePort, startProcess } from '@portcullis/testkit';

/** A running node-relay-main.js in front of the throwaway server. */
export interface NodeRelay {
  host: string;
  port: number;
  pid: number | undefined;
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./node-relay-main.js', import.meta.url));

/** Starts the bare Node relay on a free port of 127.0.0.1, on this process's own Node. */
export async function startNodeRelay(server: PostgresServer): Promise<NodeRelay> {
  const port = await freePort();
  const child = startProcess({
    command: process.execPath,
    args: [MAIN, String(port), server.host, String(server.port)],
  });
  await child.waitForOutput(/node relay listening/, 10_000);
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid,
    stop: () => child.stop('SIGTERM', 5_000),
  };
}
