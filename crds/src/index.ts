export * from './common.js';
export * from './duration.js';
export * from './statement-class.js';
export * from './data-source.js';
export * from './access-policy.js';
export * from './access-request.js';
