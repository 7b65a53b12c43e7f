import { setTimeout as sleep } from 'node:timers/promises';
import type { PostgresServer } from '@portcullis/testkit';
import type { KubeObject } from '../kube-api.js';
import type { Kubectl } from '../kubectl.js';
import { waitFor } from '../wait-for.js';
import { DEMO } from './demo-objects.js';
import { appEnv } from './injected-pod.js';
import { PsqlSession } from './psql-session.js';
import type { Shop } from './shop-setup.js';
import { output, say, typeLine } from './terminal.js';

const PROMPT = `${DEMO.database}=> `;
const HELD = "delete from orders where status = 'shipped';";

// What a person would type, in order; the held DELETE comes between these two groups.
const BEFORE = [
  '\\set VERBOSITY verbose',
  'select current_user;',
  'select name, email, card_number from customers order by id limit 3;',
  'drop table orders;',
];
const AFTER = ['select status, count(*) from orders group by status order by status;'];

async function typed(session: PsqlSession, sql: string): Promise<string> {
  await typeLine(`${PROMPT}${sql}`);
  const answer = await session.send(sql);
  output(answer);
  if (answer.trim() !== '') say();
  return answer;
}

/** Rejects after ms, without keeping the process alive. */
async function deadline(ms: number, what: string): Promise<never> {
  await sleep(ms, undefined, { ref: false });
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** The name of the first undecided AccessRequest in the demo namespace, once there is one. */
async function pendingRequest(steward: Kubectl): Promise<string> {
  return waitFor('an AccessRequest from the gate', async () => {
    const text = await steward.ok(['get', 'accessrequests', '-n', DEMO.namespace, '-o', 'json']);
    const items = (JSON.parse(text) as { items: KubeObject[] }).items;
    const waiting = items.find((r) => r.spec?.['decision'] === undefined);
    return waiting?.metadata?.name;
  });
}

/** Runs a command as the steward, printing it as typed and then its output. */
async function asSteward(steward: Kubectl, args: string[]): Promise<void> {
  await typeLine(`$ kubectl ${args.join(' ')}`);
  output(await steward.ok(args));
}

/**
 * The scripted psql session through the gate, with the app container's injected env. While
 * the DELETE waits, the steward lists AccessRequests and approves it with the kubectl plugin.
 * Returns the minted role's name.
 */
export async function runSession(pod: KubeObject, shop: Shop): Promise<string> {
  const env = appEnv(pod);
  say(`the app container's env: DATABASE_URL=${env.DATABASE_URL}; no password anywhere.`);
  await typeLine(`$ psql -U ${DEMO.app} "$DATABASE_URL"`);
  const session = new PsqlSession(
    ['-X', '-P', 'pager=off', '-U', DEMO.app, env.DATABASE_URL ?? ''],
    {
      ...process.env,
      ...env,
    },
  );
  try {
    let role = '';
    for (const sql of BEFORE) {
      const answer = await typed(session, sql);
      role ||= /^\s*(portcullis_\w+)\s*$/m.exec(answer)?.[1] ?? '';
    }

    await typeLine(`${PROMPT}${HELD}`);
    const held = session.send(HELD);
    held.catch(() => undefined); // awaited below; this only keeps a failure from going unhandled
    const name = await pendingRequest(shop.steward);
    say(`   ... psql waits. Meanwhile, in another terminal, the data steward (${DEMO.steward}):`);
    await asSteward(shop.steward, ['get', 'accessrequests', '-n', DEMO.namespace]);
    await asSteward(shop.steward, ['portcullis', 'approve', name, '-n', DEMO.namespace]);
    say('   ... and back in psql:');
    output(await Promise.race([held, deadline(60_000, 'the approved DELETE to complete')]));
    say();
    await asSteward(shop.steward, ['get', 'accessrequests', '-n', DEMO.namespace]);
    say();

    for (const sql of AFTER) await typed(session, sql);
    await typeLine(`${PROMPT}\\q`);
    await session.quit();
    if (role === '') throw new Error('the session printed no minted role name');
    return role;
  } finally {
    session.kill();
  }
}

/** Shows, as the superuser, that the gate dropped the session's role. */
export async function checkRoleDropped(db: PostgresServer, role: string): Promise<void> {
  const sql = `select count(*) from pg_roles where rolname = '${role}'`;
  // The gate drops the role as the session ends; give it a moment after psql exits.
  const left = await waitFor(
    `role ${role} dropped`,
    async () => ((await db.sql(sql)).trim() === '0' ? '0' : undefined),
    10_000,
  ).catch(async () => (await db.sql(sql)).trim());
  say(`${sql};  -- as the superuser: ${left}`);
  if (left !== '0') throw new Error(`the minted role ${role} is still there`);
  say(`the minted role ${role} is gone.`);
}
