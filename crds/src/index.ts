export { durationSchema, parseDuration } from './duration.js';
