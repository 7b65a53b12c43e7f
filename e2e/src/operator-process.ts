import { startProcess, type ManagedProcess } from '@portcullis/testkit';
import { killWithRunner } from './orphan-watchdog.js';
import { repoPath } from './paths.js';
import { waitFor } from './wait-for.js';

/** An operator process and the ports it serves. */
export interface OperatorProcess {
  process: ManagedProcess;
  identity: string;
  httpsPort: number;
  metricsPort: number;
  /** Resolves when /readyz answers 200 (caches synced, HTTPS listening). */
  ready(timeoutMs?: number): Promise<void>;
}

/** Starts operator/bin/portcullis-operator.js (the built operator) with args. */
export function startOperator(options: {
  args: string[];
  identity: string;
  httpsPort: number;
  metricsPort: number;
}): OperatorProcess {
  const child = startProcess({
    command: process.execPath,
    args: [repoPath('operator/bin/portcullis-operator.js'), ...options.args],
    outputLimit: 512 * 1024,
  });
  killWithRunner(child);
  const ready = async (timeoutMs = 60_000): Promise<void> => {
    await waitFor(
      `operator ${options.identity} ready`,
      async () => {
        if (child.hasExited) throw new Error(`the operator exited:\n${child.tail(40)}`);
        const response = await fetch(`http://127.0.0.1:${options.metricsPort}/readyz`);
        return response.ok ? true : undefined;
      },
      timeoutMs,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n--- operator output ---\n${child.tail(40)}`, {
        cause: error,
      });
    });
  };
  return { ...options, process: child, ready };
}
