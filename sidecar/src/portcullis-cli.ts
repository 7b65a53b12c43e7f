import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  AlreadyDecidedError,
  ApprovalQueue,
  UnknownRequestError,
} from './approvals/approval-file.js';
import { DecisionRefusedError, type Decider } from './approvals/approver-check.js';
import { defaultApprovalsDir } from './approvals/approvals-dir.js';
import { decideRequest, phaseOf } from './approvals/decide-request.js';
import { replayLines } from './recording/replay.js';

const USAGE = `usage:
  portcullis approvals list [--all] [--json] [--approvals-dir DIR]
  portcullis approvals approve NAME [--comment TEXT] [--approvals-dir DIR]
  portcullis approvals deny NAME [--comment TEXT] [--approvals-dir DIR]
  portcullis replay FILE|- [--session ID]

  approvals      decide operations a standalone gate holds for a human; the decision is
                 made as the OS user running this command, who must be listed as approver
                 and may not be the requester
  --approvals-dir  the gate's queue (default $PORTCULLIS_APPROVALS_DIR, else
                 $XDG_STATE_HOME/portcullis/approvals)
  --all          list decided and expired requests too
  replay         print a recording (JSON Lines) as a timeline; --session keeps one session
                 (a prefix of its id is enough); "-" reads stdin, e.g. a pod's log:
                 kubectl logs POD -c portcullis-gate | portcullis replay -`;

/** Where the CLI writes, and who runs it; replaceable in tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** What `replay -` reads; default the process's stdin. */
  stdin?: Readable;
  decider?: () => Decider;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs `portcullis ARGS`; returns the exit code (0 ok, 1 refused or failed, 2 usage). */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'approvals-dir': { type: 'string' },
        comment: { type: 'string' },
        session: { type: 'string' },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? io.stdout : io.stderr)(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }

  const [command, verb, name] = positionals;
  try {
    if (command === 'replay' && verb !== undefined && name === undefined) {
      const source = verb === '-' ? (io.stdin ?? process.stdin) : verb;
      const options = values.session ? { session: values.session } : {};
      for await (const line of replayLines(source, options)) io.stdout(`${line}\n`);
      return 0;
    }
    if (command !== 'approvals') return usage(io, `unknown command "${command}"`);
    const queue = new ApprovalQueue(values['approvals-dir'] ?? defaultApprovalsDir());
    if (verb === 'list' && name === undefined) return await list(queue, values, io);
    if ((verb === 'approve' || verb === 'deny') && name !== undefined && positionals.length === 3) {
      const decider = (io.decider ?? osDecider)();
      await decideRequest(queue, {
        name,
        verdict: verb,
        decider,
        ...(values.comment === undefined ? {} : { comment: values.comment }),
      });
      io.stdout(`${name} ${verb === 'approve' ? 'approved' : 'denied'} by ${decider.user}\n`);
      return 0;
    }
    return usage(io, `unknown approvals command "${positionals.slice(1).join(' ')}"`);
  } catch (error) {
    const known =
      error instanceof DecisionRefusedError ||
      error instanceof AlreadyDecidedError ||
      error instanceof UnknownRequestError;
    io.stderr(`portcullis: ${known ? error.message : String(error)}\n`);
    return 1;
  }
}

async function list(
  queue: ApprovalQueue,
  options: { all?: boolean; json?: boolean },
  io: CliIo,
): Promise<number> {
  const now = Date.now();
  const entries = (await queue.list()).filter(
    (entry) => options.all || phaseOf(entry, now) === 'Pending',
  );
  if (options.json) {
    const out = entries.map((entry) => ({ ...entry, phase: phaseOf(entry, now) }));
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  if (entries.length === 0) {
    io.stdout(options.all ? 'no approval requests\n' : 'no pending approval requests\n');
    return 0;
  }
  for (const { request, decision } of entries) {
    const { ask } = request;
    const statement = (ask.operation.statement ?? '').replace(/\s+/g, ' ').slice(0, 200);
    const what =
      ask.operation.kind === 'rows'
        ? `more than ${ask.operation.rowCount ?? '?'} rows of: ${statement}`
        : statement;
    const phase = phaseOf({ request, decision }, now);
    const by = decision ? ` by ${decision.decidedBy}` : ` until ${request.expiresAt}`;
    io.stdout(
      `${request.name}  ${phase}${by}\n  ${ask.identity} (policy ${ask.policy}, ` +
        `session ${ask.session.slice(0, 8)}): ${ask.reason}\n  ${what}\n`,
    );
  }
  return 0;
}

function usage(io: CliIo, message: string): number {
  io.stderr(`${message}\n\n${USAGE}\n`);
  return 2;
}

/** The OS user running the CLI, and the groups `id -Gn` reports for them. */
function osDecider(): Decider {
  const user = userInfo().username;
  let groups: string[] = [];
  try {
    groups = execFileSync('id', ['-Gn'], { encoding: 'utf8' }).trim().split(/\s+/);
  } catch {
    // Without group names only a listed user may decide.
  }
  return { user, groups };
}
