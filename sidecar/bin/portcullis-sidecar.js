#!/usr/bin/env node
// The compiled gate; run `make build` (tsc --build) first.
import { setFlagsFromString } from 'node:v8';

// Relayed results churn through socket read buffers, memory outside the JavaScript heap that
// only a full collection frees. With incremental marking, reads go on while a collection
// marks, and a one-million-row result peaked over 130 MiB above its start now and then (near
// the sidecar's 256 MiB limit); marked in one pause, the peak stays near 60 MiB. The heap is
// small, so that pause is short. Set before anything is allocated.
setFlagsFromString('--no-incremental-marking');

const { main } = await import('../dist/src/cli.js');
process.exitCode = await main(process.argv.slice(2));
