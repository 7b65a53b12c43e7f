import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { freePort, type ManagedProcess } from '@portcullis/testkit';
import pg from 'pg';
import { startInjectedSidecar, type HostRewrite } from '../../src/injected-sidecar.js';
import type { KubeObject } from '../../src/kube-api.js';
import { specOf } from '../../src/pods.js';
import { requestToken } from '../../src/service-account-token.js';
import { waitFor } from '../../src/wait-for.js';
import { APP_SA } from './injection-suite.js';
import { steward } from './sidecar-api-suite.js';
import { APP_NS, type OperatorWorld } from './operator-suite.js';

/** A pg client for the app container of pod: PGHOST and PGPORT as the webhook set them. */
function appClient(pod: KubeObject): pg.Client {
  const app = specOf(pod).containers.find((c) => c.name === 'app');
  const env = Object.fromEntries((app?.env ?? []).map((e) => [e.name, e.value ?? '']));
  const client = new pg.Client({
    host: env['PGHOST'],
    port: Number(env['PGPORT']),
    database: env['PGDATABASE'] ?? 'postgres',
    user: env['PGUSER'] ?? 'app',
  });
  client.on('error', () => undefined);
  return client;
}

/** Roles the gate minted (members of orders_reader with an expiry; the minter has none). */
async function mintedRoles(world: OperatorWorld): Promise<string[]> {
  const out = await world.db.sql(
    'SELECT r.rolname FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid ' +
      "JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname = 'orders_reader' " +
      'AND r.rolvaliduntil IS NOT NULL',
  );
  return out.split('\n').filter((line) => line !== '');
}

/** The gate as a process with exactly what the webhook injected, and a client through it. */
export function describeSidecarProcess(world: () => OperatorWorld): void {
  describe('the injected gate as a process', () => {
    let pod: KubeObject;
    let rewrite: HostRewrite;
    let gate: ManagedProcess | undefined;

    beforeAll(async () => {
      const w = world();
      pod = await w.cluster.api.get(`/api/v1/namespaces/${APP_NS}/pods/orders-1`);
      const token = await requestToken(w.cluster.api, APP_NS, APP_SA, {
        audience: 'portcullis.dev',
        pod,
      });
      rewrite = { tokenFile: join(w.dir, 'gate-token'), metricsPort: await freePort() };
      await writeFile(rewrite.tokenFile, token, { mode: 0o600 });
    });

    afterAll(async () => {
      await gate?.stop('SIGTERM', 5_000);
    });

    test('starts, loads its bundle from the operator and serves the app', async () => {
      gate = await startInjectedSidecar(pod, rewrite);
      const client = appClient(pod);
      await client.connect();
      const { rows } = await client.query<{ name: string; email: string }>(
        'SELECT name, email FROM customers WHERE id = 1',
      );
      await client.end();
      expect(rows[0]?.name).toBe('Ada');
      expect(rows[0]?.email).not.toBe('ada@example.com');

      // The webhook's --record - puts the session's recording on the gate's stdout, for the
      // pod's log; each line marked as a recording line, the email never in clear.
      await gate.waitForOutput(
        /\{"recording":true,[^\n]*"type":"statement"[^\n]*SELECT name, email FROM customers/,
        10_000,
      );
      expect(gate.output()).not.toContain('ada@example.com');
    }, 60_000);

    test('refuses DROP TABLE with 42501', async () => {
      const client = appClient(pod);
      await client.connect();
      const error = await client.query('DROP TABLE customers').then(
        () => undefined,
        (e: unknown) => e as { code?: string; detail?: string },
      );
      await client.end();
      expect(error?.code).toBe('42501');
      // Refused by the gate, which names the policy, not by PostgreSQL's ownership check.
      expect(error?.detail).toBe('policy e2e-apps/orders-app, rule guardrails.allow');
      expect(await world().db.sql("SELECT to_regclass('public.customers') IS NOT NULL")).toMatch(
        /t/,
      );
    });

    test('takes a policy edit applied with kubectl while running', async () => {
      const patch = {
        spec: { masking: { rules: [{ classification: 'email', strategy: 'hash' }] } },
      };
      const before = appClient(pod);
      await before.connect();
      const masked = (await before.query<{ email: string }>('SELECT email FROM customers')).rows[0]
        ?.email;
      await before.end();

      await world().cluster.kubectl.ok([
        'patch',
        'accesspolicy',
        'orders-app',
        '-n',
        APP_NS,
        '--type=merge',
        '-p',
        JSON.stringify(patch),
      ]);
      const hashed = await waitFor(
        'the hash strategy in a new session',
        async () => {
          const client = appClient(pod);
          await client.connect();
          const email = (await client.query<{ email: string }>('SELECT email FROM customers'))
            .rows[0]?.email;
          await client.end();
          return email !== masked ? email : undefined;
        },
        30_000,
        500,
      );
      expect(hashed).not.toBe('ada@example.com');
    }, 45_000);

    test('holds a DELETE until kubectl portcullis approve decides it', async () => {
      const client = appClient(pod);
      await client.connect();
      const held = client.query('DELETE FROM customers WHERE id = 1').then(
        () => 'done',
        (e: { code?: string }) => e.code ?? 'error',
      );
      const name = await waitFor('an AccessRequest for the DELETE', async () => {
        const out = await world().cluster.kubectl.ok([
          'get',
          'accessrequests',
          '-n',
          APP_NS,
          '-o',
          'json',
        ]);
        const items = (JSON.parse(out) as { items: KubeObject[] }).items;
        const pending = items.find(
          (i) => JSON.stringify(i.spec).includes('DELETE FROM customers') && !i.spec?.['decision'],
        );
        return pending?.metadata?.name;
      });
      const approve = await steward().run(['portcullis', 'approve', name, '-n', APP_NS]);
      expect(approve.stderr).toBe('');
      expect(approve.code).toBe(0);
      // Approved, the DELETE reaches PostgreSQL, where orders_reader may not delete.
      expect(await held).toBe('42501');
      await client.end();
    }, 60_000);

    test('a role left behind by a killed gate is reaped when the next gate starts', async () => {
      // Earlier sessions' roles are dropped as their sessions end; wait for that first.
      await waitFor('no minted roles left from earlier sessions', async () =>
        (await mintedRoles(world())).length === 0 ? true : undefined,
      );
      const client = appClient(pod);
      await client.connect();
      await client.query('SELECT 1');
      const [role, ...more] = await mintedRoles(world());
      expect(more).toEqual([]);

      gate!.child.kill('SIGKILL');
      await gate!.exited;
      expect(await mintedRoles(world())).toEqual([role]);
      await client.end().catch(() => undefined);

      gate = await startInjectedSidecar(pod, rewrite);
      await waitFor('the orphaned role dropped', async () =>
        (await mintedRoles(world())).includes(role!) ? undefined : true,
      );
    }, 60_000);
  });
}
