import { afterAll, beforeAll } from '@jest/globals';
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
describeOperator(current, (world) => {
  describeInjection(world);
  describeSidecarApi(world);
  describeSidecarProcess(world);
  describeFailover(world);
});
