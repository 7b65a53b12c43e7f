import type { Logger } from 'pino';
import type { ClusterCache } from '../kube/cache.js';
import type { KubeClient } from '../kube/rest-client.js';
import type { EventRecorder } from '../kube/status.js';
import type { ControllerMetrics } from './controller-metrics.js';

/** Whether this replica may write; LeaderElection fits. */
export interface Leadership {
  readonly isLeader: boolean;
}

/** What every controller works with. */
export interface ControllerContext {
  client: KubeClient;
  cache: ClusterCache;
  leadership: Leadership;
  events: EventRecorder;
  logger: Logger;
  metrics: ControllerMetrics;
}
