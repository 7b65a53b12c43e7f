import { afterAll, beforeAll, describe } from '@jest/globals';
import { openCluster, type Cluster } from '../src/cluster.js';
import { describeFailover } from './suites/failover-suite.js';
import { describeHelmDryRun } from './suites/helm-dry-run-suite.js';
import { describeInjection } from './suites/injection-suite.js';
import { describeManifests } from './suites/manifests-suite.js';
import { describeOperator } from './suites/operator-suite.js';
import { describeSidecarApi } from './suites/sidecar-api-suite.js';
import { describeSidecarProcess } from './suites/sidecar-process-suite.js';

// One control plane for the whole suite: it takes about ten seconds to start, and the
// describe blocks below run in order against it (CRDs first, the operator later).
//
// With E2E_CLUSTER=existing (kind, after helm install) the manifest and chart checks run
// against that cluster. The operator blocks start the operator, PostgreSQL and the gate as
// local processes wired to the API server on loopback, so they run on the local control
// plane only.
const local = process.env.E2E_CLUSTER !== 'existing';

let cluster: Cluster | undefined;
const current = (): Cluster => {
  if (!cluster) throw new Error('the control plane did not start (see beforeAll)');
  return cluster;
};

beforeAll(async () => {
  cluster = await openCluster();
}, 600_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

describeManifests(current);
describeHelmDryRun(current);
// NOTE: on an existing cluster the operator blocks are skipped, not run against the
// in-cluster operator; that needs PostgreSQL and the gate as pods (e2e/kind/run.sh deploys
// the database, but no suite drives it yet).
(local ? describe : describe.skip)('operator, webhooks and the gate as processes', () => {
  describeOperator(current, (world) => {
    describeInjection(world);
    describeSidecarApi(world);
    describeSidecarProcess(world);
    describeFailover(world);
  });
});
