// The operator's library face: what tests, the e2e suite and tools import.
export { main } from './cli.js';
export { parseFlags, usage, type OperatorFlags } from './cli-flags.js';
export { ClusterCache, type CacheChange, type CachedPod, type CachedSecret } from './kube/cache.js';
export { Informer, type InformerEvent } from './kube/informer.js';
export { LeaderElection, type LeaderElectionOptions } from './kube/leader-election.js';
export { KubeClient, KubeApiError, PatchType, isConflict, isNotFound } from './kube/rest-client.js';
export { Resources, resourcePath } from './kube/resources.js';
export { WorkQueue } from './kube/work-queue.js';
export { probeDataSource, DataSourceReason } from './controllers/data-source-probe.js';
export { evaluatePolicy, PolicyReason } from './controllers/policy-evaluation.js';
export { planRollout, POLICY_HASH_ANNOTATION } from './controllers/rollout-plan.js';
export { reapExpiredRoles } from './controllers/role-reaper.js';
