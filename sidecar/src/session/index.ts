export * from './cancel-registry.js';
export * from './gate-listener.js';
export * from './gate-session.js';
export * from './session-hooks.js';
export * from './session-phase.js';
export * from './gate.js';
export * from './policy-hooks.js';
