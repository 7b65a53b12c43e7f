import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { quoteLiteral } from '@portcullis/testkit';
import {
  startGate,
  startUpstream,
  type RunningGate,
  type Upstream,
} from './support/gate-fixture.js';
import { QUERY_SUITE, SUITE_RESET_SQL, SUITE_SETUP_SQL } from './support/query-suite.js';
import type { SuiteTarget } from './support/suite-session.js';

// The same ordinary work, once straight against PostgreSQL and once through the gate, must
// look the same to the client: rows, columns, command tags, errors, notices, notifications.
jest.setTimeout(30_000);

let upstream: Upstream;
let gate: RunningGate;
let direct: SuiteTarget;
let gated: SuiteTarget;

beforeAll(async () => {
  upstream = await startUpstream();
  await upstream.server.sql(SUITE_SETUP_SQL, 'app');

  // A login role with exactly the minted role's grants (membership in the policy's role).
  const password = randomBytes(18).toString('base64url');
  await upstream.server.sql(
    `CREATE ROLE conformance_direct LOGIN PASSWORD ${quoteLiteral(password)} IN ROLE app_writer`,
  );
  direct = { kind: 'direct', url: upstream.server.url('app', 'conformance_direct', password) };

  // The test manifests' policy: grant app_writer, default guardrails, no masking.
  gate = await startGate(upstream);
  gated = { kind: 'gate', url: gate.url() };
}, 60_000);

afterAll(async () => {
  await gate?.stop();
  await upstream?.server.stop();
}, 30_000);

describe('conformance: the gate answers ordinary work as PostgreSQL does', () => {
  for (const suiteCase of QUERY_SUITE) {
    it(suiteCase.name, async () => {
      await upstream.server.sql(SUITE_RESET_SQL, 'app');
      const expected = await suiteCase.run(direct);
      expect(expected).toMatchObject(suiteCase.shape as object);

      await upstream.server.sql(SUITE_RESET_SQL, 'app');
      const observed = await suiteCase.run(gated);
      const normalize = suiteCase.byDesign?.normalize ?? ((observation: unknown) => observation);
      expect(normalize(observed)).toEqual(normalize(expected));
    });
  }
});
