import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, type AccessRequest, type ApprovalVerdict } from '@portcullis/crds';
import { KubeApiError, KubeClient, PatchType } from '../kube/rest-client.js';
import { approvalState } from './approval-state.js';

const USAGE = `usage: kubectl portcullis COMMAND [options]

  list                         AccessRequests with their phase (-A for every namespace)
  approve NAME [--comment TEXT] approve a waiting operation
  deny NAME [--comment TEXT]    deny it

  -n, --namespace NS           namespace (default: the kubeconfig context's, else default)
  -A, --all-namespaces         list across namespaces
  -h, --help                   print this text

Decisions are made with your own kubeconfig; the operator records you as the decider and
refuses a decision by the requester or by anyone the policy does not name as approver.`;

/** Where the plugin writes, and what it talks to; tests pass their own. */
export interface PluginIo {
  client: Pick<KubeClient, 'request'>;
  /** The kubeconfig context's namespace, if it names one. */
  contextNamespace: string | undefined;
  out: (line: string) => void;
  err: (line: string) => void;
  now: () => Date;
}

const collection = (namespace?: string) =>
  namespace === undefined
    ? `/apis/${API_GROUP}/${API_VERSION}/accessrequests`
    : `/apis/${API_GROUP}/${API_VERSION}/namespaces/${encodeURIComponent(namespace)}/accessrequests`;

/** Runs one plugin command; returns the process exit code. */
export async function runPlugin(argv: string[], io: PluginIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        namespace: { type: 'string', short: 'n' },
        'all-namespaces': { type: 'boolean', short: 'A', default: false },
        comment: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, name, ...rest] = positionals;
  if (values.help || command === undefined) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 2;
  }
  const namespace = values.namespace ?? io.contextNamespace ?? 'default';

  try {
    if (command === 'list' && name === undefined) {
      await list(io, values['all-namespaces'] ? undefined : namespace);
      return 0;
    }
    if ((command === 'approve' || command === 'deny') && name !== undefined && rest.length === 0) {
      const verdict: ApprovalVerdict = command;
      await decide(io, namespace, name, verdict, values.comment);
      return 0;
    }
  } catch (err) {
    // The API server's message carries the webhook's reason for a refusal.
    io.err(
      `error: ${err instanceof KubeApiError ? err.message.replace(/^\S+ \S+: \d+ /, '') : String(err)}`,
    );
    return 1;
  }
  io.err(`error: unknown command: ${positionals.join(' ')}\n${USAGE}`);
  return 2;
}

async function list(io: PluginIo, namespace: string | undefined): Promise<void> {
  const answer = await io.client.request<{ items?: AccessRequest[] }>(collection(namespace));
  const items = [...(answer.items ?? [])].sort(
    (a, b) =>
      (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
  if (items.length === 0) {
    io.err(
      namespace === undefined
        ? 'No AccessRequests found.'
        : `No AccessRequests found in ${namespace}.`,
    );
    return;
  }

  const header = ['NAME', 'PHASE', 'POLICY', 'REQUESTER', 'OPERATION', 'DECIDED-BY', 'EXPIRES'];
  if (namespace === undefined) header.unshift('NAMESPACE');
  const rows = items.map((ar) => {
    const state = approvalState(ar, io.now());
    // The decision in spec is the truth; the status the controller writes may lag it.
    const phase = state.phase !== 'Pending' ? state.phase : (ar.status?.phase ?? 'Pending');
    const row = [
      ar.metadata.name,
      phase,
      ar.spec.policyRef.name,
      ar.spec.requester.identity,
      describeOperation(ar),
      state.decidedBy ?? '-',
      ar.spec.expiresAt,
    ];
    if (namespace === undefined) row.unshift(ar.metadata.namespace ?? '');
    return row;
  });
  for (const line of table([header, ...rows])) io.out(line);
}

function describeOperation(ar: AccessRequest): string {
  const op = ar.spec.operation;
  if (op.kind === 'rows') return `rows>${op.rowCount ?? '?'}`;
  const text = (op.statement ?? op.classes.join(',')).replace(/\s+/g, ' ').trim();
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('   ')
      .trimEnd(),
  );
}

async function decide(
  io: PluginIo,
  namespace: string,
  name: string,
  verdict: ApprovalVerdict,
  comment: string | undefined,
): Promise<void> {
  // decidedBy is left out: the operator's webhook stamps it from the authenticated user.
  const decision = comment === undefined ? { verdict } : { verdict, comment };
  await io.client.request(`${collection(namespace)}/${encodeURIComponent(name)}`, {
    method: 'PATCH',
    body: { spec: { decision } },
    contentType: PatchType.merge,
  });
  io.out(`accessrequest.portcullis.dev/${name} ${verdict === 'approve' ? 'approved' : 'denied'}`);
}

/** The plugin's entry point: kubeconfig from $KUBECONFIG or ~/.kube/config, as kubectl does. */
export async function main(argv: string[]): Promise<number> {
  const config = new KubeConfig();
  config.loadFromDefault();
  const context = config.getContextObject(config.getCurrentContext());
  return runPlugin(argv, {
    client: new KubeClient(config),
    contextNamespace: context?.namespace,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    now: () => new Date(),
  });
}
