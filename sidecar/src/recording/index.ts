export * from './record-event.js';
export * from './record-writer.js';
export * from './session-recorder.js';
export * from './value-scrubber.js';
export * from './replay.js';
