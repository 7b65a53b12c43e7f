import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { quoteLiteral } from '@portcullis/testkit';
import {
  startGate,
  startUpstream,
  type RunningGate,
  type Upstream,
} from './support/gate-fixture.js';
import { QUERY_SUITE, SUITE_RESET_SQL, SUITE_SETUP_SQL } from './support/query-suite.js';
import { withSession, type SuiteTarget } from './support/suite-session.js';

// The same ordinary work, once straight against PostgreSQL and once through the gate, must
// look the same to the client: rows, columns, command tags, errors, notices, notifications.
// The gate runs twice: its upstream hop in plain TCP, and in TLS verified against the CA.
jest.setTimeout(30_000);

let upstream: Upstream;
let direct: SuiteTarget;
const gates: RunningGate[] = [];
const hops = new Map<string, SuiteTarget>();

beforeAll(async () => {
  upstream = await startUpstream({ tls: true });
  await upstream.server.sql(SUITE_SETUP_SQL, 'app');

  // A login role with exactly the minted role's grants (membership in the policy's role).
  const password = randomBytes(18).toString('base64url');
  await upstream.server.sql(
    `CREATE ROLE conformance_direct LOGIN PASSWORD ${quoteLiteral(password)} IN ROLE app_writer`,
  );
  const { server } = upstream;
  direct = {
    kind: 'direct',
    url: server.url('app', 'conformance_direct', password),
    // Trust on the unix socket: raw sessions need no SCRAM exchange of their own.
    wire: {
      connect: { path: join(server.socketDir, `.s.PGSQL.${server.port}`) },
      user: 'conformance_direct',
      database: 'app',
    },
  };

  // The test manifests' policy: grant app_writer, default guardrails, no masking.
  const ca = upstream.server.tls?.certPem;
  const plain = await startGate(upstream);
  const tls = await startGate(upstream, { tls: { mode: 'verify-full', ca } });
  gates.push(plain, tls);
  for (const [hop, gate] of [
    ['plain upstream', plain],
    ['TLS upstream', tls],
  ] as const) {
    const wire = { connect: { host: '127.0.0.1', port: gate.port }, user: 'app', database: 'app' };
    hops.set(hop, { kind: 'gate', url: gate.url(), wire });
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(gates.map((gate) => gate.stop()));
  await upstream?.server.stop();
}, 30_000);

for (const hop of ['plain upstream', 'TLS upstream']) {
  describe(`conformance: the gate answers ordinary work as PostgreSQL does (${hop})`, () => {
    for (const suiteCase of QUERY_SUITE) {
      it(suiteCase.name, async () => {
        await upstream.server.sql(SUITE_RESET_SQL, 'app');
        const expected = await suiteCase.run(direct);
        expect(expected).toMatchObject(suiteCase.shape as object);

        await upstream.server.sql(SUITE_RESET_SQL, 'app');
        const observed = await suiteCase.run(hops.get(hop)!);
        const normalize = suiteCase.byDesign?.normalize ?? ((observation: unknown) => observation);
        expect(normalize(observed)).toEqual(normalize(expected));
      });
    }
  });
}

describe('the two hops', () => {
  it('are plain and TLS, as their DataSources say', async () => {
    const sslOf = async (target: SuiteTarget) =>
      withSession(target, (s) => s.run('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'));
    expect(await sslOf(hops.get('plain upstream')!)).toMatchObject({ rows: [['f']] });
    expect(await sslOf(hops.get('TLS upstream')!)).toMatchObject({ rows: [['t']] });
  });
});
