import { afterAll, beforeAll, describe } from '@jest/globals';
import { openCluster, type Cluster } from '../src/cluster.js';
import { KIND_DATABASE, kindDataSourceSpec } from '../src/kind-database.js';
import { describeFailover } from './suites/failover-suite.js';
import { describeHelmDryRun } from './suites/helm-dry-run-suite.js';
import { describeInjection } from './suites/injection-suite.js';
import { describeLabelledPods } from './suites/labelled-pod-suite.js';
import { describeManifests } from './suites/manifests-suite.js';
import { APP_NS, describeOperator } from './suites/operator-suite.js';
import { describeSidecarApi } from './suites/sidecar-api-suite.js';
import { describeSidecarProcess } from './suites/sidecar-process-suite.js';

// One control plane for the whole suite: it takes about ten seconds to start, and the
// describe blocks below run in order against it (CRDs first, the operator later).
//
// With E2E_CLUSTER=existing (kind, after e2e/kind/run.sh installed the chart and PostgreSQL)
// the manifest and chart checks run against that cluster, and so does the labelled-pod check,
// against the operator the chart runs in the cluster. The other operator blocks start the
// operator, PostgreSQL and the gate as local processes wired to the API server on loopback, so
// they run on the local control plane only; the labelled-pod check runs there too, against the
// operator process, so the code the kind path runs is the code proven here.
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
if (local) {
  // NOTE: on an existing cluster these blocks are skipped; there the labelled-pod check below
  // is the only one that drives the in-cluster operator (no gate serves queries in kind yet).
  describe('operator, webhooks and the gate as processes', () => {
    describeOperator(current, (world) => {
      describeInjection(world);
      describeLabelledPods(() => {
        const { cluster: c, db } = world();
        return {
          cluster: c,
          namespace: APP_NS,
          // The minter Secret and role the injection suite made for its DataSource.
          dataSource: {
            host: db.host,
            port: db.port,
            database: 'postgres',
            tls: { mode: 'require' },
            minter: { secretRef: { name: 'orders-minter' }, grantableRoles: ['orders_reader'] },
          },
          grantRole: 'orders_reader',
          nativeSidecars: true,
        };
      });
      describeSidecarApi(world);
      describeSidecarProcess(world);
      describeFailover(world);
    });
  });
} else {
  describe('the operator the chart runs in the cluster', () => {
    describeLabelledPods(() => ({
      cluster: current(),
      namespace: KIND_DATABASE.namespace,
      dataSource: kindDataSourceSpec(),
      grantRole: 'reader',
      // e2e/kind/run.sh installs the chart with sidecar.nativeSidecar=$E2E_NATIVE_SIDECAR.
      nativeSidecars: process.env.E2E_NATIVE_SIDECAR !== 'false',
    }));
  });
}
