export * from './row-budget.js';
