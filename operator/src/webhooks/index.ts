// The operator's HTTPS face: admission webhooks, policy bundles and approvals on one server.
export { startHttpsServer, operatorApp } from './server.js';
export type { HttpsServerOptions, RunningHttpsServer } from './server.js';
export type { CacheView } from './cache-view.js';
export { buildPodPatch } from './pod-patch.js';
export type { InjectionRecord, PodPatchConfig, PodPatchResult } from './pod-patch.js';
export {
  DEFAULT_SIDECAR_RESOURCES,
  DEFAULT_SIDECAR_SETTINGS,
  DEFAULT_TOKEN_EXPIRATION_SECONDS,
  LOG_LEVELS,
} from './sidecar-settings.js';
export type { SidecarResources, SidecarSettings, LogLevel } from './sidecar-settings.js';
export { applyJsonPatch, type JsonPatchOp } from './json-patch.js';
export { selectorMatches } from './label-selector.js';
export { policiesOverlap } from './policy-overlap.js';
export * from './injection-names.js';
