import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the standalone approval queue lives unless `--approvals-dir` says otherwise:
 * $PORTCULLIS_APPROVALS_DIR, else $XDG_STATE_HOME/portcullis/approvals, else
 * ~/.local/state/portcullis/approvals (the XDG default). The gate and the CLI must agree.
 */
export function defaultApprovalsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PORTCULLIS_APPROVALS_DIR) return env.PORTCULLIS_APPROVALS_DIR;
  const state = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'portcullis', 'approvals');
}
