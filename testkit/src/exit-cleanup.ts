/**
 * Synchronous clean-up steps run when the Node process exits, however it exits short of
 * SIGKILL: a failing test must not leave a server or a temporary directory behind.
 */
const steps = new Set<() => void>();
let installed = false;

/** Registers a synchronous step for process exit; returns the function that unregisters it. */
export function onProcessExit(step: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runAll);
  }
  steps.add(step);
  return () => steps.delete(step);
}

function runAll(): void {
  for (const step of steps) {
    try {
      step();
    } catch {
      // Exit is too late to report anything; the remaining steps must still run.
    }
  }
  steps.clear();
}
