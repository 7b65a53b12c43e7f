import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { onProcessExit } from './exit-cleanup.js';

/** How to start a child process the test or demo owns. */
export interface ManagedProcessOptions {
  command: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user and group id (set when root starts a server that refuses root). */
  uid?: number;
  gid?: number;
  /** Keep at most this many characters of combined output for waitForOutput and errors. */
  outputLimit?: number;
  /** Called with every chunk of stdout and stderr, for a demo that shows the output. */
  onOutput?: (chunk: string) => void;
}

/** Raised when a managed process exits or times out before what the caller waited for. */
export class ProcessError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProcessError';
  }
}

/** A child process killed when the parent exits, with its recent output kept for diagnosis. */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private text = '';
  private readonly limit: number;
  private readonly waiters = new Set<() => void>();
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly unregister: () => void;

  constructor(options: ManagedProcessOptions) {
    this.limit = options.outputLimit ?? 256 * 1024;
    const spawnOptions: SpawnOptions = {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    };
    if (options.uid !== undefined) spawnOptions.uid = options.uid;
    if (options.gid !== undefined) spawnOptions.gid = options.gid;
    this.child = spawn(options.command, options.args ?? [], spawnOptions);

    const collect = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      options.onOutput?.(text);
      this.text = (this.text + text).slice(-this.limit);
      this.notify();
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);

    this.exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.exitInfo ??= { code, signal };
        this.notify();
        resolve(this.exitInfo);
      };
      this.child.once('exit', finish);
      this.child.once('error', (error) => {
        this.text += `\nspawn failed: ${error.message}`;
        finish(null, null);
      });
    });
    this.unregister = onProcessExit(() => this.child.kill('SIGKILL'));
    void this.exited.then(() => this.unregister());
  }

  /** Process id of the child (undefined if it failed to spawn). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True once the child has exited. */
  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** Combined stdout and stderr seen so far (the last outputLimit characters). */
  output(): string {
    return this.text;
  }

  /** Resolves with the match once the output matches pattern; rejects on exit or timeout. */
  async waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = this.text.match(pattern);
        if (match) {
          done();
          resolve(match);
        } else if (this.exitInfo) {
          done();
          reject(new ProcessError(`process exited before printing ${pattern}:\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new ProcessError(
            `timed out after ${timeoutMs} ms waiting for ${pattern}:\n${this.tail()}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends signal and waits for exit; escalates to SIGKILL after graceMs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    if (this.exitInfo) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The last lines of output, for error messages. */
  tail(lines = 30): string {
    return this.text.split('\n').slice(-lines).join('\n');
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Starts a child process owned by the caller (see ManagedProcess). */
export function startProcess(options: ManagedProcessOptions): ManagedProcess {
  return new ManagedProcess(options);
}
