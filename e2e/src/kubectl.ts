import { execFile } from 'node:child_process';

/** What one kubectl (or helm) run printed and how it exited. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of runCommand. */
export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs a program to completion and reports its exit code and output; never rejects on exit. */
export function runCommand(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        env: options.env ?? process.env,
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 << 20,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${command} ${args.join(' ')} failed to run`, { cause: error }));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** kubectl bound to one kubeconfig. */
export class Kubectl {
  constructor(
    readonly binary: string,
    readonly kubeconfig: string,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /**
   * Runs kubectl with args; stdin from input when given. The kubeconfig goes in KUBECONFIG,
   * not --kubeconfig: kubectl refuses flags before a plugin's name, and plugins read it too.
   */
  run(args: string[], input?: string): Promise<CommandResult> {
    return runCommand(this.binary, args, {
      input,
      env: { ...this.env, KUBECONFIG: this.kubeconfig },
    });
  }

  /** Runs kubectl and rejects with its stderr unless it exits 0; resolves with stdout. */
  async ok(args: string[], input?: string): Promise<string> {
    const result = await this.run(args, input);
    if (result.code !== 0) {
      throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    }
    return result.stdout;
  }

  /** kubectl apply -f - with manifest text. */
  apply(manifest: string, ...extra: string[]): Promise<CommandResult> {
    return this.run(['apply', '-f', '-', ...extra], manifest);
  }
}
