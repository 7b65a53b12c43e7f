export * from './errors/gate-error.js';
export * from './credentials/index.js';
export * from './session/index.js';
export * from './wire/index.js';
export { FilePolicySource, loadPolicyDirectory, PolicyFilesError } from './policy/file-source.js';
export type { PolicySnapshot, PolicySource } from './policy/policy-source.js';
export { main as runSidecar, parseSidecarArgs } from './cli.js';
