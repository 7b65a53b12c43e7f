#!/usr/bin/env node
// The operator's entry point; the code lives in dist/src/cli.js (built by `npx tsc --build`).
import { main } from '../dist/src/cli.js';

// Exit explicitly: the operator decides when it is done, not a socket someone left open.
process.exit(await main(process.argv.slice(2), process.env));
