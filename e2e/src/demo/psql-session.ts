import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Raised when psql ends before it answered a statement. */
export class PsqlSessionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PsqlSessionError';
  }
}

/**
 * One psql session fed statement by statement through its stdin, so the demo can act (approve
 * with kubectl, say) while a statement waits. Each statement is followed by an \echo marker;
 * what psql printed before the marker is that statement's answer.
 */
export class PsqlSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private text = '';
  private count = 0;
  private readonly waiters = new Set<() => void>();
  private ended = false;

  /** Starts psql with args (connection and options) and env. */
  constructor(args: string[], env: NodeJS.ProcessEnv) {
    // stderr joins stdout in one pipe so an error stays next to its statement; stdbuf makes
    // psql's stdout line-buffered for the same reason.
    const psql = ['psql', ...args];
    const line = existsSync('/usr/bin/stdbuf') ? ['stdbuf', '-oL', ...psql] : psql;
    this.child = spawn('sh', ['-c', 'exec "$@" 2>&1', 'sh', ...line], { env });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
      this.notify();
    });
    this.child.stderr.resume();
    this.child.once('exit', () => {
      this.ended = true;
      this.notify();
    });
  }

  /** Sends one statement (or meta-command) and resolves with psql's answer to it. */
  async send(sql: string): Promise<string> {
    const marker = `__portcullis_demo_${this.count++}__`;
    this.child.stdin.write(`${sql}\n\\echo ${marker}\n`);
    for (;;) {
      const at = this.text.indexOf(`${marker}\n`);
      if (at >= 0) {
        const answer = this.text.slice(0, at);
        this.text = this.text.slice(at + marker.length + 1);
        return answer;
      }
      if (this.ended) {
        throw new PsqlSessionError(`psql ended before answering ${sql}:\n${this.text}`);
      }
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  /** Ends the session with \q and waits for psql to exit. */
  async quit(): Promise<void> {
    if (this.ended) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end('\\q\n');
    await exited;
  }

  /** Kills psql (for cleanup after a failure). */
  kill(): void {
    if (!this.ended) this.child.kill('SIGKILL');
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
    this.waiters.clear();
  }
}
