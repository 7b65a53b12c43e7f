export * from './approval-file.js';
export * from './approver-check.js';
export * from './approvals-dir.js';
export * from './decide-request.js';
export * from './local-channel.js';
export * from './operator-channel.js';
