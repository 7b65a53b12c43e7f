import { spawn } from 'node:child_process';
import type { ManagedProcess } from '@portcullis/testkit';

/**
 * Ties child to this Node process: a detached shell SIGKILLs it once this process is gone,
 * however it went (a test runner killed with SIGKILL runs no exit handlers). The shell ends
 * by itself when the child exits first.
 */
export function killWithRunner(child: ManagedProcess): void {
  if (child.pid === undefined) return;
  const script =
    'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
    'kill -9 "$2" 2>/dev/null';
  const watchdog = spawn('sh', ['-c', script, 'watchdog', String(process.pid), String(child.pid)], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  void child.exited.then(() => watchdog.kill('SIGKILL'));
}
